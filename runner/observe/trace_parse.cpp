#include "observe/trace_parse.h"

#include <regex>
#include <sstream>

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
  j = nlohmann::json{{"time_ns", e.time_ns}, {"cpu", e.cpu},     {"pid", e.pid},
                     {"comm", e.comm},       {"event", e.event}, {"args", e.args},
                     {"where", e.where},     {"text", e.text}};
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

}  // namespace poisonlab
