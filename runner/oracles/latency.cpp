#include "oracles/latency.h"

#include <algorithm>
#include <optional>

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

struct TraceSpan {
  std::optional<uint64_t> first_memory_failure;
  std::optional<uint64_t> last_event;
};

TraceSpan memory_failure_span(const json& notify) {
  TraceSpan span;
  if (!notify.is_object() || !notify.contains("per_event")) return span;
  for (const json& g : notify["per_event"]) {
    uint64_t start = g["start_ns"].get<uint64_t>(), end = g["end_ns"].get<uint64_t>();
    span.first_memory_failure = std::min(span.first_memory_failure.value_or(start), start);
    span.last_event = std::max(span.last_event.value_or(end), end);
  }
  return span;
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
    TraceSpan span = memory_failure_span(i < cell.notify.size() ? cell.notify[i] : json());
    phases.push_back({{"trial", t.index},
                      {"inject_to_first_signal_ns", since(signals.first, start)},
                      {"inject_to_last_signal_ns", since(signals.last, start)},
                      {"injection_duration_ns", since(end, start)},
                      {"memory_failure_first_ns", since(span.first_memory_failure, start)},
                      {"kernel_handling_ns", since(span.last_event, span.first_memory_failure)}});
  }
  return {{"revocation_ns", revocation}, {"phases", phases}};
}

}  // namespace poisonlab::oracles
