#pragma once
// The dashboard's chart views, each computed from the indexed history
// (site_index.h); shapes in reports/dashboard/README.md, "Site data".
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "compare/latency_change.h"
#include "dashboard/site_index.h"

namespace poisonlab {

// The phases stacked in the phase view, in the order a poisoned page goes
// through them: from the injection start to the first memory_failure, the
// first page's memory_failure -> notify -> unmap done -> signal generated,
// and the signal's delivery; so their sum is about the time to the first
// signal.
inline constexpr const char* kStackedPhases[] = {"memory_failure_first", "memory_failure_to_notify",
                                                 "notify_to_unmap_done", "unmap_done_to_signal_generated",
                                                 "signal_generated_to_received"};
// The whole range in two segments: the time to the first signal, then
// p50 of inject_to_last_signal minus p50 of inject_to_first_signal, the
// time the other pages' signals took. (A chart of its own: with many pages
// the second dwarfs the first page's phases.)
inline constexpr const char* kFirstSignal = "inject_to_first_signal";
inline constexpr const char* kFirstToLastSignal = "first_to_last_signal";

// [{"key", "series": [{"variant", "run_id", "samples_ms": [sorted]}]}] for
// every key with a revocation sample in its latest run on some variant.
nlohmann::json cdf_view(const SiteIndex& index);
// [{"series" (the report's series name without the variant), "parameter",
//   "measure", "lines": [{"variant", "run_id", "points": [{"x", "y", "cell"}],
//   "fit"}]}]: the latest run's series of each variant, with its log-log fit.
nlohmann::json sweep_view(const SiteIndex& index);
// {"first_page": [kStackedPhases], "range": [kFirstSignal,
//   kFirstToLastSignal], "note", "bars": [{"key", "variant", "run_id",
//   "median_ms": {phase: p50 | null for each of both lists},
//   "revocation_p50_ms"}]}.
nlohmann::json phase_view(const SiteIndex& index);
// [{"key", "lines": [{"variant", "points": [{"run_id", "started_at",
//   "p50_ms" | null, "n"}]}]}]: every run, in date order.
nlohmann::json trend_view(const SiteIndex& index);
// B's revocation latency against A's per cell key (latest run of each):
// {"a", "b", "options": {"threshold", "alpha"}, "reason": null | why empty,
//  "rows": [{"key", "a_run", "b_run", <compare to_json fields>,
//            "significant"}], "only_a": [keys], "only_b": [keys]}.
// Without variants, the first two of the history.
nlohmann::json ab_view(const SiteIndex& index, const ChangeOptions& options,
                       const std::optional<std::pair<std::string, std::string>>& variants);

}  // namespace poisonlab
