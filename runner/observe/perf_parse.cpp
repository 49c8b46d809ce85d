#include "observe/perf_parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

namespace poisonlab {
namespace {

// x86-64 (and arm64) kernels live in the upper half of the address space.
constexpr uint64_t kKernelHalf = 0xffff800000000000ull;

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    fn(text.substr(start, end - start));
    start = end + 1;
  }
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "123/456" -> {123, 456}
std::optional<std::pair<int64_t, int64_t>> parse_pid_tid(std::string_view token) {
  size_t slash = token.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto pid = parse_int(token.substr(0, slash));
  auto tid = parse_int(token.substr(slash + 1));
  if (!pid || !tid) return std::nullopt;
  return std::pair{*pid, *tid};
}

// "memory_failure+0x4d" -> "memory_failure" (present when symoff is printed).
std::string_view strip_offset(std::string_view sym) {
  size_t plus = sym.rfind("+0x");
  if (plus == std::string_view::npos || plus == 0) return sym;
  std::string_view hex = sym.substr(plus + 3);
  bool all_hex = !hex.empty() && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  return all_hex ? sym.substr(0, plus) : sym;
}

// "/usr/lib/x86_64-linux-gnu/libc.so.6" -> "libc.so.6"; "[kernel.kallsyms]" stays.
std::string_view dso_basename(std::string_view dso) {
  size_t slash = dso.rfind('/');
  return slash == std::string_view::npos ? dso : dso.substr(slash + 1);
}

// "ffffffff8123abcd memory_failure+0x4d ([kernel.kallsyms])"; the symbol may
// hold spaces and parentheses (C++), so the dso is the last "(...)".
std::optional<PerfFrame> parse_frame(std::string_view line) {
  line = trim(line);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  uint64_t addr = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + space, addr, 16);
  if (ec != std::errc() || ptr != line.data() + space) return std::nullopt;
  std::string_view rest = trim(line.substr(space + 1));
  std::string_view sym = rest, dso;
  size_t open = rest.rfind(" (");
  if (!rest.empty() && rest.back() == ')' && open != std::string_view::npos) {
    sym = trim(rest.substr(0, open));
    dso = rest.substr(open + 2, rest.size() - open - 3);
  }
  PerfFrame frame;
  frame.kernel = addr >= kKernelHalf;
  if (sym.empty() || sym == "[unknown]")
    frame.name = !dso.empty() && dso != "[unknown]" ? "[" + std::string(dso_basename(dso)) + "]" : "[unknown]";
  else
    frame.name = std::string(strip_offset(sym));
  return frame;
}

// "comm pid/tid period event: [ip sym (dso)]"; comm may hold spaces.
std::optional<PerfSample> parse_header(std::string_view line) {
  std::vector<std::string_view> tokens;
  for (auto t : split(trim(line), ' '))
    if (!t.empty()) tokens.push_back(t);
  for (size_t i = 1; i < tokens.size(); ++i) {
    auto ids = parse_pid_tid(tokens[i]);
    if (!ids) continue;
    PerfSample s;
    std::string_view first = tokens[0];
    s.comm = std::string(trim(line.substr(first.data() - line.data(), tokens[i].data() - first.data())));
    s.pid = ids->first;
    s.tid = ids->second;
    // Without a call chain perf prints the ip on the header line, after the event.
    for (size_t j = i + 1; j < tokens.size(); ++j) {
      if (tokens[j].back() != ':') continue;
      std::string_view after = line.substr(tokens[j].data() + tokens[j].size() - line.data());
      if (auto frame = parse_frame(after)) s.frames.push_back(*frame);
      break;
    }
    return s;
  }
  return std::nullopt;
}

std::vector<FunctionCount> ranked(const std::map<std::string, uint64_t>& counts, size_t top_n) {
  std::vector<FunctionCount> out;
  for (const auto& [name, n] : counts) out.push_back({name, n});
  std::stable_sort(out.begin(), out.end(), [](const FunctionCount& a, const FunctionCount& b) { return a.samples > b.samples; });
  if (out.size() > top_n) out.resize(top_n);
  return out;
}

nlohmann::json counts_json(const std::vector<FunctionCount>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : list) out.push_back({{"function", f.function}, {"samples", f.samples}});
  return out;
}

}  // namespace

PerfStatOutput parse_perf_stat_csv(std::string_view text) {
  PerfStatOutput out;
  for_each_line(text, [&](std::string_view raw) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') return;
    auto fields = split(line, ',');
    if (fields.size() < 3 || trim(fields[2]).empty()) {
      out.unparsed.emplace_back(line);
      return;
    }
    std::string_view value = trim(fields[0]);
    PerfStatCount c{std::string(trim(fields[2])), parse_number(value), std::string(trim(fields[1]))};
    if (!c.value && !value.starts_with("<")) {  // "<not counted>", "<not supported>"
      out.unparsed.emplace_back(line);
      return;
    }
    out.counts.push_back(std::move(c));
  });
  return out;
}

nlohmann::json stat_counts_json(const PerfStatOutput& out) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& c : out.counts) {
    if (!c.value) counts[c.event] = nullptr;
    else if (std::floor(*c.value) == *c.value && *c.value >= 0) counts[c.event] = static_cast<uint64_t>(*c.value);
    else counts[c.event] = *c.value;
  }
  return counts;
}

std::vector<PerfSample> parse_perf_script(std::string_view text) {
  std::vector<PerfSample> samples;
  bool in_sample = false;
  for_each_line(text, [&](std::string_view line) {
    if (trim(line).empty()) {
      in_sample = false;
      return;
    }
    bool indented = line.front() == ' ' || line.front() == '\t';
    if (indented && in_sample) {
      if (auto frame = parse_frame(line)) samples.back().frames.push_back(*frame);
      return;
    }
    if (indented) return;  // a frame without a header: nothing to attach it to
    if (auto sample = parse_header(line)) {
      samples.push_back(std::move(*sample));
      in_sample = true;
    }
  });
  return samples;
}

std::map<std::string, uint64_t> fold_stacks(const std::vector<PerfSample>& samples) {
  std::map<std::string, uint64_t> folded;
  for (const auto& s : samples) {
    std::string stack = s.comm.empty() ? "[unknown]" : s.comm;
    std::replace(stack.begin(), stack.end(), ' ', '_');
    for (auto it = s.frames.rbegin(); it != s.frames.rend(); ++it) stack += ";" + it->name;
    ++folded[stack];
  }
  return folded;
}

std::string folded_text(const std::map<std::string, uint64_t>& folded) {
  std::string out;
  for (const auto& [stack, n] : folded) out += stack + " " + std::to_string(n) + "\n";
  return out;
}

KernelProfile rank_kernel_functions(const std::vector<PerfSample>& samples, size_t top_n) {
  KernelProfile p;
  std::map<std::string, uint64_t> self, inclusive;
  for (const auto& s : samples) {
    ++p.samples;
    if (s.idle()) {
      ++p.idle_samples;
      continue;
    }
    if (!s.frames.empty() && s.frames.front().kernel) {
      ++p.kernel_leaf_samples;
      ++self[s.frames.front().name];
    }
    std::set<std::string_view> seen;
    for (const auto& f : s.frames)
      if (f.kernel && seen.insert(f.name).second) ++inclusive[f.name];
  }
  p.top_self = ranked(self, top_n);
  p.top_inclusive = ranked(inclusive, top_n);
  return p;
}

nlohmann::json to_json(const KernelProfile& p) {
  return {{"samples", p.samples},
          {"idle_samples", p.idle_samples},
          {"kernel_leaf_samples", p.kernel_leaf_samples},
          {"top_self", counts_json(p.top_self)},
          {"top_inclusive", counts_json(p.top_inclusive)}};
}

}  // namespace poisonlab
