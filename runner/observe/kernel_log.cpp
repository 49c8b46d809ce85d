#include "observe/kernel_log.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

namespace poisonlab {
namespace {

constexpr size_t kExcerptFollowingLines = 20;
// Lines after a report's header in which an Oops, a Call Trace, a general
// protection fault or a KASAN detail line still belongs to that report.
constexpr size_t kReportWindowLines = 150;
// How far to look for the RIP line or the first call-trace frame.
constexpr size_t kLookaheadLines = 40;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}
std::string_view rtrim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
std::string_view trim(std::string_view s) { return rtrim(ltrim(s)); }

bool all_of(std::string_view s, int (*pred)(int)) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [pred](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
}

// "<6>" syslog level.
std::string_view strip_level(std::string_view s) {
  if (s.size() < 3 || s[0] != '<') return s;
  size_t close = s.find('>');
  if (close == std::string_view::npos || !all_of(s.substr(1, close - 1), ::isdigit)) return s;
  return s.substr(close + 1);
}

// Raw /dev/kmsg record header "level,seq,usec,flags[,...];".
std::string_view strip_kmsg_header(std::string_view s) {
  size_t semi = s.find(';');
  if (semi == std::string_view::npos) return s;
  std::string_view header = s.substr(0, semi);
  std::array<std::string_view, 3> numeric_fields;
  for (auto& field : numeric_fields) {
    size_t comma = header.find(',');
    if (comma == std::string_view::npos) return s;
    field = header.substr(0, comma);
    header.remove_prefix(comma + 1);
  }
  for (auto field : numeric_fields)
    if (!all_of(field, ::isdigit)) return s;
  return s.substr(semi + 1);
}

bool is_timestamp(std::string_view inner) {
  size_t dot = inner.find('.');
  return dot != std::string_view::npos && all_of(inner.substr(0, dot), ::isdigit) &&
         all_of(inner.substr(dot + 1), ::isdigit);
}

// "T123" (task) or "C1" (cpu): CONFIG_PRINTK_CALLER.
bool is_caller_id(std::string_view inner) {
  return inner.size() >= 2 && (inner[0] == 'T' || inner[0] == 'C') && all_of(inner.substr(1), ::isdigit);
}

std::string_view strip_bracket_field(std::string_view s, bool (*accept)(std::string_view)) {
  if (s.empty() || s[0] != '[') return s;
  size_t close = s.find(']');
  if (close == std::string_view::npos || !accept(trim(s.substr(1, close - 1)))) return s;
  s.remove_prefix(close + 1);
  if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  return s;
}

uint64_t parse_hex(const std::string& text) { return std::stoull(text, nullptr, 16); }

// "func+0x12/0x34" -> "func"
std::optional<std::string> function_of_frame(std::string_view text) {
  static const std::regex frame(R"(([A-Za-z_][A-Za-z0-9_.]*)\+0x[0-9a-fA-F]+)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(text.begin(), text.end(), m, frame)) return std::nullopt;
  return m[1].str();
}

// The function in "RIP: 0010:func+0x9d/0xc0" within the lookahead window.
std::optional<std::string> rip_function(const std::vector<std::string>& lines, size_t from) {
  for (size_t i = from; i < lines.size() && i <= from + kLookaheadLines; ++i) {
    std::string_view msg = ltrim(log_message(lines[i]));
    if (!starts_with(msg, "RIP: ")) continue;
    size_t colon = msg.find(':', 5);
    if (colon == std::string_view::npos) continue;
    if (auto fn = function_of_frame(msg.substr(colon + 1))) return fn;
  }
  return std::nullopt;
}

bool is_stack_dumping_frame(std::string_view fn) {
  static constexpr std::array<std::string_view, 6> kDumpers = {"dump_stack", "dump_stack_lvl",     "__dump_stack",
                                                               "show_stack", "show_trace_log_lvl", "xfs_stack_trace"};
  return std::find(kDumpers.begin(), kDumpers.end(), fn) != kDumpers.end();
}

// First reliable frame after a "Call Trace:" line, skipping "? " frames and
// the frames of the stack-dumping helpers themselves.
std::optional<std::string> first_call_trace_function(const std::vector<std::string>& lines, size_t header) {
  for (size_t i = header + 1; i < lines.size() && i <= header + kLookaheadLines; ++i) {
    std::string_view msg = ltrim(log_message(lines[i]));
    if (starts_with(msg, "<") || msg.empty()) continue;  // <TASK>, <IRQ>, </IRQ>
    if (starts_with(msg, "[<")) msg = ltrim(msg.substr(std::min(msg.find(']') + 1, msg.size())));
    if (starts_with(msg, "?")) continue;
    auto fn = function_of_frame(msg);
    if (!fn) return std::nullopt;  // left the trace
    if (!is_stack_dumping_frame(*fn)) return fn;
  }
  return std::nullopt;
}

// The function after ", at: " in a lockdep report's first lock lines.
std::optional<std::string> lockdep_function(const std::vector<std::string>& lines, size_t header) {
  for (size_t i = header + 1; i < lines.size() && i <= header + kLookaheadLines; ++i) {
    std::string_view msg = log_message(lines[i]);
    size_t at = msg.find(", at: ");
    if (at != std::string_view::npos) return function_of_frame(msg.substr(at + 6));
  }
  return std::nullopt;
}

std::string with_function(std::string base, const std::optional<std::string>& fn) {
  return fn ? base + " in " + *fn : base;
}

struct Header {
  std::string_view kind;
  std::string title;
  bool absorbable = false;  // part of an open report rather than a new one
};

std::string warning_title(std::string_view msg) {
  // "WARNING: CPU: 0 PID: 1 at drivers/x.c:3195 func+0x9d/0xc0 [mod]" or the
  // older "WARNING: at drivers/x.c:3195 func+0x9d/0xc0()".
  static const std::regex located(R"(^WARNING: (?:CPU: \d+ PID: \d+ )?at (\S+) (\S+))");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(msg.begin(), msg.end(), m, located)) {
    if (auto fn = function_of_frame(m[2].str())) return "WARNING in " + *fn;
    return "WARNING at " + m[1].str();
  }
  static const std::regex cpu_only(R"(^WARNING: CPU: \d+ PID: \d+ at (\S+))");
  if (std::regex_search(msg.begin(), msg.end(), m, cpu_only)) return "WARNING at " + m[1].str();
  return std::string(rtrim(msg));
}

std::string panic_title(std::string_view msg) {
  // The exit code differs between runs of the same problem.
  size_t exitcode = msg.find(" exitcode=");
  return std::string(rtrim(msg.substr(0, exitcode)));
}

std::string hung_task_title(std::string_view msg) {
  static const std::regex task(R"(INFO: task (.+):\d+ blocked for more than (\d+) seconds)");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(msg.begin(), msg.end(), m, task))
    return "INFO: task " + m[1].str() + " blocked for more than " + m[2].str() + " seconds";
  return std::string(rtrim(msg));
}

std::string kasan_title(std::string_view msg) {
  static const std::regex kasan(R"(KASAN: (\S+) in ([A-Za-z_][A-Za-z0-9_.]*)\+0x)");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(msg.begin(), msg.end(), m, kasan)) return "KASAN: " + m[1].str() + " in " + m[2].str();
  return std::string(rtrim(msg.substr(msg.find("KASAN:"))));
}

bool is_lockdep(std::string_view msg) {
  static constexpr std::array<std::string_view, 4> kLockdep = {
      "possible circular locking dependency", "inconsistent lock state", "possible recursive locking detected",
      "possible irq lock inversion dependency"};
  return std::any_of(kLockdep.begin(), kLockdep.end(), [&](std::string_view p) { return contains(msg, p); });
}

bool is_rcu_stall(std::string_view msg) {
  std::string_view m = starts_with(msg, "rcu: ") ? msg.substr(5) : msg;
  return starts_with(m, "INFO: rcu_") && (contains(m, "self-detected stall") || contains(m, "detected stalls") ||
                                          contains(m, "detected expedited stalls"));
}

std::string lockdep_title(std::string_view msg, const std::vector<std::string>& lines, size_t i) {
  std::string_view text = msg;
  if (starts_with(text, "WARNING: ")) text.remove_prefix(9);
  if (starts_with(text, "[ INFO: ")) text.remove_prefix(8);
  text = rtrim(text);
  if (!text.empty() && text.back() == ']') text = rtrim(text.substr(0, text.size() - 1));
  return with_function(std::string(text), lockdep_function(lines, i));
}

// The RIP of the report whose header is lines[header]: it comes a few lines
// later, after "Oops:", "CPU:" and "Hardware name:"; a line that opens another
// report ends the search, so a later report's RIP is never borrowed.
std::optional<std::string> own_rip_function(const std::vector<std::string>& lines, size_t header) {
  constexpr size_t kOopsHeaderLines = 12;
  for (size_t i = header + 1; i < lines.size() && i <= header + kOopsHeaderLines; ++i) {
    std::string_view msg = ltrim(log_message(lines[i]));
    if (starts_with(msg, "BUG: ") || starts_with(msg, "WARNING:") || starts_with(msg, "general protection fault") ||
        starts_with(msg, "Kernel panic"))
      return std::nullopt;
    if (starts_with(msg, "RIP: ")) return rip_function(lines, i);
  }
  return std::nullopt;
}

// A faulting access's address changes from boot to boot: like syzkaller,
// title it by the faulting function so one bug has one title across runs.
// "BUG: unable to handle page fault for address: X" + "RIP: ...:f+0x7f/0xb0"
// -> "BUG: unable to handle page fault in f".
std::string bug_title(std::string_view msg, const std::vector<std::string>& lines, size_t i) {
  for (std::string_view fault : {"BUG: unable to handle page fault", "BUG: kernel NULL pointer dereference",
                                 "BUG: unable to handle kernel paging request"}) {
    if (!starts_with(msg, fault)) continue;
    if (auto fn = own_rip_function(lines, i)) return std::string(fault) + " in " + *fn;
  }
  return std::string(rtrim(msg));
}

// msg is the line's message, left-trimmed.
std::optional<Header> classify_line(std::string_view msg, const std::vector<std::string>& lines, size_t i) {
  if (starts_with(msg, "Kernel panic - not syncing")) return Header{kKindKernelPanic, panic_title(msg)};
  if (is_lockdep(msg)) return Header{kKindLockdep, lockdep_title(msg, lines, i)};
  if (starts_with(msg, "BUG: KASAN:")) return Header{kKindKasan, kasan_title(msg)};
  if (starts_with(msg, "KASAN:")) return Header{kKindKasan, kasan_title(msg), true};
  if (size_t at = msg.find("BUG: soft lockup"); at != std::string_view::npos) {
    auto fn = rip_function(lines, i + 1);
    return Header{kKindSoftLockup, fn ? "BUG: soft lockup in " + *fn : std::string(rtrim(msg.substr(at)))};
  }
  if (size_t at = msg.find("Watchdog detected hard LOCKUP"); at != std::string_view::npos)
    return Header{kKindHardLockup, std::string(rtrim(msg.substr(at)))};
  if (starts_with(msg, "BUG: ") || starts_with(msg, "kernel BUG at ")) return Header{kKindBug, bug_title(msg, lines, i)};
  if (starts_with(msg, "WARNING:")) return Header{kKindWarning, warning_title(msg)};
  if (starts_with(msg, "general protection fault") || starts_with(msg, "Oops: general protection fault"))
    return Header{kKindGeneralProtectionFault, with_function("general protection fault", rip_function(lines, i + 1)),
                  true};
  if (starts_with(msg, "Oops: ") || starts_with(msg, "Oops#"))
    return Header{kKindOops, with_function("Oops", rip_function(lines, i + 1)), true};
  if (is_rcu_stall(msg))
    return Header{kKindRcuStall, std::string(rtrim(starts_with(msg, "rcu: ") ? msg.substr(5) : msg))};
  if (starts_with(msg, "INFO: task ") && contains(msg, " blocked for more than "))
    return Header{kKindHungTask, hung_task_title(msg)};
  if (starts_with(msg, "UBSAN: ")) return Header{kKindUbsan, std::string(rtrim(msg))};
  if (starts_with(msg, "Call Trace:"))
    return Header{kKindCallTrace, with_function("Call Trace", first_call_trace_function(lines, i)), true};
  return std::nullopt;
}

bool is_report_end(std::string_view msg) {
  return starts_with(msg, "---[ end trace") || starts_with(msg, "---[ end Kernel panic");
}

bool is_own_message(std::string_view line) { return contains(line, "poisonlab-init:"); }

std::vector<std::string> excerpt_from(const std::vector<std::string>& lines, size_t i) {
  size_t end = std::min(lines.size(), i + 1 + kExcerptFollowingLines);
  return {lines.begin() + static_cast<std::ptrdiff_t>(i), lines.begin() + static_cast<std::ptrdiff_t>(end)};
}

// "XFS (pmem0): text" -> {"pmem0", "text"}; other lines -> {"", message}.
std::pair<std::string, std::string> split_device(std::string_view msg, std::string_view subsystem) {
  std::string prefix = std::string(subsystem) + " (";
  if (!starts_with(msg, prefix)) return {"", std::string(rtrim(msg))};
  size_t close = msg.find("): ", prefix.size());
  if (close == std::string_view::npos) return {"", std::string(rtrim(msg))};
  return {std::string(msg.substr(prefix.size(), close - prefix.size())), std::string(rtrim(msg.substr(close + 3)))};
}

}  // namespace

std::string_view log_message(std::string_view line) {
  line = strip_level(line);
  line = strip_kmsg_header(line);
  line = strip_bracket_field(line, is_timestamp);
  line = strip_bracket_field(line, is_caller_id);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::vector<std::string> split_log_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::vector<KernelLogFinding> find_kernel_problems(const std::vector<std::string>& lines) {
  std::vector<KernelLogFinding> findings;
  constexpr size_t kNoReport = static_cast<size_t>(-1);
  size_t open_report = kNoReport;  // header line of the report being read
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_own_message(lines[i])) continue;
    std::string_view msg = ltrim(log_message(lines[i]));
    if (is_report_end(msg)) {
      open_report = kNoReport;
      continue;
    }
    auto header = classify_line(msg, lines, i);
    if (!header) continue;
    bool inside_report = open_report != kNoReport && i - open_report <= kReportWindowLines;
    if (inside_report && header->absorbable) continue;
    findings.push_back({std::string(header->kind), std::move(header->title), i, excerpt_from(lines, i)});
    open_report = i;
  }
  return findings;
}

std::vector<KernelLogFinding> find_kernel_problems(std::string_view text) {
  return find_kernel_problems(split_log_lines(text));
}

std::vector<RecoveryResult> find_recovery_results(const std::vector<std::string>& lines) {
  static const std::regex recovery(R"(Memory failure: (?:0x)?([0-9a-fA-F]+): recovery action for (.+): (\w+))");
  std::vector<RecoveryResult> results;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view msg = log_message(lines[i]);
    if (!contains(msg, "recovery action for")) continue;
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(msg.begin(), msg.end(), m, recovery))
      results.push_back({parse_hex(m[1].str()), m[2].str(), m[3].str(), i});
  }
  return results;
}

std::vector<AlreadyPoisoned> find_already_poisoned(const std::vector<std::string>& lines) {
  static const std::regex poisoned(R"(Memory failure: (?:0x)?([0-9a-fA-F]+): already hardware poisoned)");
  std::vector<AlreadyPoisoned> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view msg = log_message(lines[i]);
    if (!contains(msg, "already hardware poisoned")) continue;
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(msg.begin(), msg.end(), m, poisoned)) found.push_back({parse_hex(m[1].str()), i});
  }
  return found;
}

std::vector<SigbusMessage> find_sigbus_messages(const std::vector<std::string>& lines) {
  static const std::regex sending(
      R"(Memory failure: (?:0x)?([0-9a-fA-F]+): (?:Sending SIGBUS to|Killing) (.+):(\d+) due to hardware memory corruption)");
  std::vector<SigbusMessage> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view msg = log_message(lines[i]);
    if (!contains(msg, "due to hardware memory corruption")) continue;
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(msg.begin(), msg.end(), m, sending))
      found.push_back({parse_hex(m[1].str()), m[2].str(), std::stoll(m[3].str()), i});
  }
  return found;
}

std::vector<InjectionMessage> find_injection_messages(const std::vector<std::string>& lines) {
  static const std::regex madvise(
      R"(Injecting memory failure for pfn (?:0x)?([0-9a-fA-F]+) at process virtual address (?:0x)?([0-9a-fA-F]+))");
  static const std::regex debugfs(R"(Injecting memory failure at pfn (?:0x)?([0-9a-fA-F]+))");
  std::vector<InjectionMessage> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view msg = log_message(lines[i]);
    if (!contains(msg, "Injecting memory failure")) continue;
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(msg.begin(), msg.end(), m, madvise))
      found.push_back({"madvise", parse_hex(m[1].str()), parse_hex(m[2].str()), i});
    else if (std::regex_search(msg.begin(), msg.end(), m, debugfs))
      found.push_back({"hwpoison-inject", parse_hex(m[1].str()), std::nullopt, i});
  }
  return found;
}

std::vector<XfsShutdownMessage> find_xfs_shutdown_messages(const std::vector<std::string>& lines) {
  static constexpr std::array<std::string_view, 7> kShutdownTexts = {
      "Corruption of in-memory data", "Corruption of on-disk metadata", "Filesystem has been shut down",
      "xfs_do_force_shutdown",        "Please unmount the filesystem",  "User initiated shutdown",
      "Log I/O Error Detected"};
  std::vector<XfsShutdownMessage> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view msg = ltrim(log_message(lines[i]));
    bool xfs_line = starts_with(msg, "XFS (") || contains(msg, "xfs_do_force_shutdown");
    if (!xfs_line) continue;
    if (std::none_of(kShutdownTexts.begin(), kShutdownTexts.end(), [&](auto t) { return contains(msg, t); })) continue;
    auto [device, text] = split_device(msg, "XFS");
    found.push_back({device, text, i});
  }
  return found;
}

std::vector<DaxMountMessage> find_dax_mount_messages(const std::vector<std::string>& lines) {
  std::vector<DaxMountMessage> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view msg = ltrim(log_message(lines[i]));
    bool enabled = contains(msg, "DAX enabled");
    bool disabled = contains(msg, "Turning off DAX");
    if (!enabled && !disabled) continue;
    auto [device, text] = split_device(msg, "XFS");
    found.push_back({device, enabled && !disabled, text, i});
  }
  return found;
}

void to_json(nlohmann::json& j, const KernelLogFinding& f) {
  j = {{"kind", f.kind}, {"title", f.title}, {"line_index", f.line_index}, {"excerpt", f.excerpt}};
}
void to_json(nlohmann::json& j, const RecoveryResult& r) {
  j = {{"pfn", r.pfn}, {"page_type", r.page_type}, {"result", r.result}, {"line_index", r.line_index}};
}
void to_json(nlohmann::json& j, const AlreadyPoisoned& a) { j = {{"pfn", a.pfn}, {"line_index", a.line_index}}; }
void to_json(nlohmann::json& j, const SigbusMessage& m) {
  j = {{"pfn", m.pfn}, {"comm", m.comm}, {"pid", m.pid}, {"line_index", m.line_index}};
}
void to_json(nlohmann::json& j, const InjectionMessage& m) {
  j = {{"source", m.source}, {"pfn", m.pfn}, {"line_index", m.line_index}};
  j["vaddr"] = m.vaddr ? nlohmann::json(*m.vaddr) : nlohmann::json(nullptr);
}
void to_json(nlohmann::json& j, const XfsShutdownMessage& m) {
  j = {{"device", m.device}, {"message", m.message}, {"line_index", m.line_index}};
}
void to_json(nlohmann::json& j, const DaxMountMessage& m) {
  j = {{"device", m.device}, {"dax_enabled", m.dax_enabled}, {"message", m.message}, {"line_index", m.line_index}};
}

}  // namespace poisonlab
