#include "observe/trace_parse.h"

#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "common/error.h"

namespace poisonlab {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// ras:memory_failure_event prints "pfn %#lx: recovery action for %s: %s".
std::map<std::string, std::string> parse_memory_failure_event(std::string_view payload) {
  static const std::regex re(R"(^pfn (\S+): recovery action for ([^:]+): (.*)$)");
  std::map<std::string, std::string> args;
  std::string s = trim(payload);
  std::smatch m;
  if (std::regex_match(s, m, re)) {
    args["pfn"] = m[1].str();
    args["type"] = m[2].str();
    args["result"] = trim(m[3].str());
  }
  return args;
}

// xfs:xfs_force_shutdown prints "dev 259:0 tag ... flags ... file ... line_num N":
// alternating key and value words.
std::map<std::string, std::string> parse_word_pairs(std::string_view payload) {
  std::map<std::string, std::string> args;
  std::istringstream words{std::string(payload)};
  std::string key, value;
  while (words >> key && words >> value) args[key] = value;
  return args;
}

}  // namespace

std::optional<uint64_t> parse_trace_timestamp(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view secs = text.substr(0, dot), frac = text.substr(dot + 1);
  if (!all_digits(secs) || !all_digits(frac) || frac.size() > 9) return std::nullopt;
  std::string frac9(frac);
  frac9.resize(9, '0');
  return std::stoull(std::string(secs)) * 1000000000ull + std::stoull(frac9);
}

std::map<std::string, std::string> parse_key_values(std::string_view text) {
  static const std::regex key_re(R"((^|\s)([A-Za-z_][A-Za-z0-9_.\[\]]*)=)");
  std::map<std::string, std::string> args;
  std::string s(text);
  struct Key {
    std::string name;
    size_t value_start;
    size_t key_start;
  };
  std::vector<Key> keys;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), key_re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    keys.push_back({m[2].str(), static_cast<size_t>(m.position(0) + m.length(0)),
                    static_cast<size_t>(m.position(2))});
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    size_t end = i + 1 < keys.size() ? keys[i + 1].key_start : s.size();
    args[keys[i].name] = trim(std::string_view(s).substr(keys[i].value_start, end - keys[i].value_start));
  }
  return args;
}

std::map<std::string, std::string> parse_trace_args(std::string_view event, std::string_view payload) {
  if (event == "memory_failure_event") return parse_memory_failure_event(payload);
  if (event == "xfs_force_shutdown") return parse_word_pairs(payload);
  return parse_key_values(payload);
}

std::optional<TraceEvent> parse_trace_line(std::string_view line) {
  // COMM-PID [CPU] (FLAGS) SECS.FRAC: EVENT: PAYLOAD
  // The comm may hold dashes and spaces: the greedy (.*) backtracks to the
  // last "-PID" before the CPU column. "(TGID)" appears with record-tgid.
  static const std::regex line_re(
      R"(^\s*(.*)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S{4,5}\s+)?(\d+\.\d+):\s+([A-Za-z0-9_]+):\s?(.*)$)");
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty() || s.find_first_not_of(" \t") == std::string::npos) return std::nullopt;
  if (s[s.find_first_not_of(" \t")] == '#') return std::nullopt;
  std::smatch m;
  if (!std::regex_match(s, m, line_re)) return std::nullopt;
  auto ts = parse_trace_timestamp(m[4].str());
  if (!ts) return std::nullopt;
  TraceEvent e;
  e.time_ns = *ts;
  e.comm = trim(m[1].str());
  e.pid = std::stoi(m[2].str());
  e.cpu = std::stoi(m[3].str());
  e.event = m[5].str();
  e.text = m[6].str();
  std::string_view payload = e.text;
  if (!payload.empty() && payload.front() == '(') {
    // kprobe location, e.g. "(memory_failure+0x0/0x340)" or
    // "(caller+0x2d/0x300 <- memory_failure)" for a kretprobe.
    size_t close = payload.find(')');
    if (close != std::string_view::npos) {
      e.where = std::string(payload.substr(0, close + 1));
      payload.remove_prefix(close + 1);
    }
  }
  e.args = parse_trace_args(e.event, payload);
  return e;
}

std::vector<TraceEvent> parse_trace_text(std::string_view text) {
  std::vector<TraceEvent> events;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    if (auto e = parse_trace_line(text.substr(pos, nl - pos))) events.push_back(std::move(*e));
    pos = nl + 1;
  }
  return events;
}

void to_json(nlohmann::json& j, const TraceEvent& e) {
  // `text` (the payload as printed) is not written: it repeats where and
  // args, and at 13 events a poisoned page it was a fifth of a large
  // range's observation. Reports written before keep it; nothing reads it.
  j = nlohmann::json{{"time_ns", e.time_ns}, {"cpu", e.cpu},     {"pid", e.pid},
                     {"comm", e.comm},       {"event", e.event}, {"args", e.args},
                     {"where", e.where}};
}

void from_json(const nlohmann::json& j, TraceEvent& e) {
  e.time_ns = j.at("time_ns").get<uint64_t>();
  e.cpu = j.value("cpu", 0);
  e.pid = j.value("pid", 0);
  e.comm = j.value("comm", std::string());
  e.event = j.at("event").get<std::string>();
  e.args = j.value("args", std::map<std::string, std::string>());
  e.where = j.value("where", std::string());
  e.text = j.value("text", std::string());
}

std::string_view intern_trace_name(std::string_view name) {
  static std::mutex mutex;
  static std::set<std::string, std::less<>> names;
  std::lock_guard lock(mutex);
  auto it = names.find(name);
  if (it == names.end()) it = names.emplace(name).first;
  return *it;
}

namespace {
constexpr char kKeyEnd = '\x1f';
constexpr char kPairEnd = '\x1e';
}  // namespace

std::string_view TraceRecord::name() const {
  size_t slash = event.rfind('/');
  return slash == std::string_view::npos ? event : event.substr(slash + 1);
}

namespace {
// Calls visit(key, value) for each packed pair until it returns true.
template <typename Visit>
void for_each_packed_arg(std::string_view rest, Visit visit) {
  while (!rest.empty()) {
    size_t key_end = rest.find(kKeyEnd);
    if (key_end == std::string_view::npos) return;
    size_t pair_end = rest.find(kPairEnd, key_end);
    if (pair_end == std::string_view::npos) pair_end = rest.size();
    if (visit(rest.substr(0, key_end), rest.substr(key_end + 1, pair_end - key_end - 1))) return;
    rest.remove_prefix(std::min(rest.size(), pair_end + 1));
  }
}
}  // namespace

std::optional<std::string_view> TraceRecord::arg(std::string_view key) const {
  std::optional<std::string_view> found;
  for_each_packed_arg(packed_args, [&](std::string_view k, std::string_view v) {
    if (k == key) found = v;
    return found.has_value();
  });
  return found;
}

nlohmann::json TraceRecord::args_json() const {
  nlohmann::json out = nlohmann::json::object();
  for_each_packed_arg(packed_args, [&](std::string_view k, std::string_view v) {
    out[std::string(k)] = std::string(v);
    return false;
  });
  return out;
}

TraceRecord trace_record_from_json(const nlohmann::json& e, const std::string& pointer) {
  auto bad = [&](const std::string& where, const char* expected) { throw InputError("observation", where, expected); };
  if (!e.is_object()) bad(pointer, "expected a trace event object");
  auto event = e.find("event");
  if (event == e.end() || !event->is_string()) bad(pointer + "/event", "expected a string");
  auto time = e.find("time_ns");
  if (time == e.end() || !time->is_number_integer() || time->get<int64_t>() < 0)
    bad(pointer + "/time_ns", "expected a non-negative integer");
  auto pid = e.find("pid");
  if (pid == e.end() || !pid->is_number_integer()) bad(pointer + "/pid", "expected an integer");
  TraceRecord r;
  r.time_ns = time->get<uint64_t>();
  r.pid = pid->get<int64_t>();
  auto cpu = e.find("cpu");
  r.cpu = cpu != e.end() && cpu->is_number_integer() ? cpu->get<int>() : 0;
  r.event = intern_trace_name(event->get_ref<const std::string&>());
  auto comm = e.find("comm");
  r.comm = intern_trace_name(comm != e.end() && comm->is_string() ? comm->get_ref<const std::string&>() : "");
  auto args = e.find("args");
  if (args != e.end()) {
    if (!args->is_object()) bad(pointer + "/args", "expected an object of strings");
    for (const auto& [key, value] : args->items()) {
      if (!value.is_string()) continue;  // only string arguments are ever read
      if (!r.packed_args.empty()) r.packed_args += kPairEnd;
      r.packed_args += key;
      r.packed_args += kKeyEnd;
      r.packed_args += value.get_ref<const std::string&>();
    }
    r.packed_args.shrink_to_fit();
  }
  return r;
}

std::vector<TraceRecord> trace_records_from_json(const nlohmann::json& events, const std::string& pointer) {
  std::vector<TraceRecord> out;
  if (events.is_null()) return out;
  if (!events.is_array()) throw InputError("observation", pointer, "expected an array of trace events");
  out.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    out.push_back(trace_record_from_json(events[i], pointer + "/" + std::to_string(i)));
  return out;
}

}  // namespace poisonlab
