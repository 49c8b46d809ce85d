#include "oracles/latency.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "oracles/signal_matching.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

json since(const std::optional<uint64_t>& t, const std::optional<uint64_t>& start) {
  if (!t || !start) return nullptr;
  return static_cast<int64_t>(*t) - static_cast<int64_t>(*start);
}

struct SignalTimes {
  size_t expected = 0;
  size_t arrived_with_time = 0;
  std::optional<uint64_t> first;
  std::optional<uint64_t> last;
};

// Early-kill mappers only: the madvise injector's BUS_MCEERR_AR is its own
// syscall returning, not a revocation.
SignalTimes expected_signal_times(const TrialRecord& t, const TrialModel& m) {
  SignalTimes times;
  for (const VictimRecord& v : t.victims) {
    if (!v.early_kill()) continue;
    SignalMatch match = match_signals(m, v);
    times.expected += match.expected.size();
    for (const SignalRecord* s : match.matched) {
      if (!s || !s->time_ns) continue;
      ++times.arrived_with_time;
      times.first = std::min(times.first.value_or(*s->time_ns), *s->time_ns);
      times.last = std::max(times.last.value_or(*s->time_ns), *s->time_ns);
    }
  }
  return times;
}

// The trace timelines (notify_path.h) of one trial's memory failures, in
// the order they started: the first and the last page of the range.
struct RangeTimeline {
  json first, last;  // a per_event "timeline", or null
  std::optional<uint64_t> last_event_end;
};

std::optional<uint64_t> time_of(const json& timeline, const char* key) {
  if (!timeline.is_object() || !timeline.contains(key) || !timeline[key].is_number()) return std::nullopt;
  return timeline[key].get<uint64_t>();
}

RangeTimeline range_timeline(const json& notify) {
  RangeTimeline range;
  if (!notify.is_object() || !notify.contains("per_event")) return range;
  for (const json& g : notify["per_event"]) {
    const json& t = g.contains("timeline") ? g["timeline"] : json(nullptr);
    if (range.first.is_null()) range.first = t;
    range.last = t;
    uint64_t end = g["end_ns"].get<uint64_t>();
    range.last_event_end = std::max(range.last_event_end.value_or(end), end);
  }
  return range;
}

// Cross-check of the two clocks: every machine-check SIGBUS a mapper
// received (user space, CLOCK_MONOTONIC) paired in order with the
// signal:signal_generate events aimed at its pid (trace clock mono) that
// could arrive.
std::vector<int64_t> signal_delivery_gaps(const TrialRecord& t) {
  auto generated = generated_signals_by_pid(t);
  std::vector<int64_t> gaps;
  for (const VictimRecord& v : t.victims) {
    auto it = generated.find(v.pid);
    if (it == generated.end()) continue;
    std::vector<uint64_t> received;
    for (const SignalRecord& s : v.signals)
      if (s.machine_check() && s.time_ns) received.push_back(*s.time_ns);
    std::sort(received.begin(), received.end());
    std::vector<uint64_t> sent;  // a signal generated while one was pending never arrives: not paired
    for (const GeneratedSignal& g : it->second)
      if (g.res != kSignalAlreadyPending) sent.push_back(g.time_ns);
    for (size_t k = 0; k < std::min(received.size(), sent.size()); ++k)
      gaps.push_back(static_cast<int64_t>(received[k]) - static_cast<int64_t>(sent[k]));
  }
  return gaps;
}

json median_or_null(std::vector<int64_t> values) {
  if (values.empty()) return nullptr;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

json max_or_null(const std::vector<int64_t>& values) {
  if (values.empty()) return nullptr;
  return *std::max_element(values.begin(), values.end());
}

// A page's steps relative to the injection start.
json page_steps(const json& timeline, const std::optional<uint64_t>& start) {
  if (timeline.is_null()) return nullptr;
  json steps = json::object();
  for (auto& [key, value] : timeline.items()) steps[key] = since(time_of(timeline, key.c_str()), start);
  return steps;
}

json phase_between(const json& timeline, const char* from, const char* to) {
  return since(time_of(timeline, to), time_of(timeline, from));
}

}  // namespace

json compute_latency(const Cell& cell) {
  json revocation = json::array(), phases = json::array();
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    std::optional<uint64_t> start, end;
    if (t.injection) start = t.injection->start_ns, end = t.injection->end_ns;
    SignalTimes signals = expected_signal_times(t, cell.models[i]);
    bool all_arrived = signals.expected > 0 && signals.arrived_with_time == signals.expected;
    revocation.push_back(all_arrived ? since(signals.last, start) : json(nullptr));
    RangeTimeline range = range_timeline(i < cell.notify.size() ? cell.notify[i] : json());
    auto first_mf = time_of(range.first, "memory_failure_ns");
    std::vector<int64_t> gaps = signal_delivery_gaps(t);
    phases.push_back({{"trial", t.index},
                      {"inject_to_first_signal_ns", since(signals.first, start)},
                      {"inject_to_last_signal_ns", since(signals.last, start)},
                      {"injection_duration_ns", since(end, start)},
                      {"memory_failure_first_ns", since(first_mf, start)},
                      {"kernel_handling_ns", since(range.last_event_end, first_mf)},
                      {"memory_failure_to_notify_ns", phase_between(range.first, "memory_failure_ns", "notify_ns")},
                      {"notify_to_unmap_done_ns", phase_between(range.first, "notify_ns", "unmap_done_ns")},
                      {"unmap_done_to_signal_generated_ns",
                       phase_between(range.first, "unmap_done_ns", "first_signal_generated_ns")},
                      {"signal_generated_to_received_ns", median_or_null(gaps)},
                      {"signal_generated_to_received_max_ns", max_or_null(gaps)},
                      {"signals_paired_with_trace", gaps.size()},
                      {"timeline",
                       {{"first_page", page_steps(range.first, start)},
                        {"last_page", page_steps(range.last, start)},
                        {"first_signal_received_ns", since(signals.first, start)},
                        {"last_signal_received_ns", since(signals.last, start)}}}});
  }
  return {{"revocation_ns", revocation}, {"phases", phases}};
}

}  // namespace poisonlab::oracles
