#pragma once
// Parsers for perf's text output: `perf stat -x,` counts and `perf script`
// call chains, folded into stackcollapse lines ("comm;root;...;leaf N",
// what flamegraph.pl reads) and ranked into the top kernel functions.
// Pure functions: the agent runs perf, the tests feed canned text.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct PerfStatCount {
  std::string event;
  std::optional<double> value;  // nullopt: "<not counted>" / "<not supported>"
  std::string unit;             // "" for tracepoints, "msec" for cpu-clock, ...
};

struct PerfStatOutput {
  std::vector<PerfStatCount> counts;
  std::vector<std::string> unparsed;  // non-comment lines that are not counts
};

// `perf stat -x, -o FILE` output: "value,unit,event,run time,percent,..."
// per event; '#' comment lines and blank lines are skipped.
PerfStatOutput parse_perf_stat_csv(std::string_view text);
// {event: count (integer when whole) | null}.
nlohmann::json stat_counts_json(const PerfStatOutput& out);

struct PerfFrame {
  std::string name;  // symbol without offset; "[dso]" or "[unknown]" when unresolved
  bool kernel = false;  // the address lies in the kernel half
};

struct PerfSample {
  std::string comm;
  int64_t pid = -1;
  int64_t tid = -1;
  std::vector<PerfFrame> frames;  // leaf first, as perf script prints them
  bool idle() const { return pid == 0; }  // the swapper (idle) task
};

// `perf script -F comm,pid,tid,period,event,ip,sym,dso` output: a header line
// per sample ("comm pid/tid period event:"), its call chain indented one
// frame a line ("addr sym (dso)"), a blank line between samples.
std::vector<PerfSample> parse_perf_script(std::string_view text);

// stackcollapse-perf: "comm;root;...;leaf" -> number of samples. Spaces in
// comm become '_' (flamegraph.pl splits the count off at the last space).
std::map<std::string, uint64_t> fold_stacks(const std::vector<PerfSample>& samples);
// One "stack count" line per entry, in key order.
std::string folded_text(const std::map<std::string, uint64_t>& folded);

struct FunctionCount {
  std::string function;
  uint64_t samples = 0;
};

// Kernel functions of the busy (non-idle) samples: self counts the samples
// whose leaf frame is the function, inclusive the samples with the function
// anywhere in the chain (once per sample, however deep the recursion).
struct KernelProfile {
  uint64_t samples = 0;              // all samples
  uint64_t idle_samples = 0;         // of the idle task (left out of the ranking)
  uint64_t kernel_leaf_samples = 0;  // busy samples whose leaf is a kernel frame
  std::vector<FunctionCount> top_self;
  std::vector<FunctionCount> top_inclusive;
};

// Rankings by samples, descending, ties by name; at most top_n entries each.
KernelProfile rank_kernel_functions(const std::vector<PerfSample>& samples, size_t top_n);
nlohmann::json to_json(const KernelProfile& profile);

}  // namespace poisonlab
