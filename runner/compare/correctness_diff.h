#pragma once
// Correctness differences of one cell between two sides, each pooled over
// its runs: the cell verdict, every oracle whose verdict changed, and the
// notify-path classes.
//
// A side's state for a verdict is the verdict when all its runs agree,
// "mixed" when they do not, "-" when no run has it. A change is
//   "regression"  A's state is pass and some run of B fails (for the cell
//                 verdict: does not pass, so an error counts too);
//   "improvement" the reverse: B's state is pass and some run of A failed;
//   "changed"     the states differ otherwise (pass -> skip, fail -> error);
// and no change when the states are equal (two "mixed" sides included).
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "compare/report_side.h"

namespace poisonlab {

using VerdictCounts = std::map<std::string, size_t>;

std::string verdict_state(const VerdictCounts& counts);
// "pass" for one run; "pass 3/3", "pass 2/3, fail 1/3" for several; "-".
std::string verdict_counts_text(const VerdictCounts& counts, size_t runs);
// "" when nothing changed, else "regression" | "improvement" | "changed".
// failing(verdict) says which verdicts make a regression.
std::string classify_verdict_change(const VerdictCounts& a, const VerdictCounts& b, bool (*failing)(const std::string&));

// {"a": {verdict: runs}, "b": {...}, "state_a", "state_b", "text_a", "text_b", "change"};
// a cell that did not complete counts under its verdict and status, "error (hang)".
nlohmann::json cell_verdict_diff(const SideCell& a, const SideCell& b);
// One entry like cell_verdict_diff's, plus "oracle", for each oracle whose
// state changed. An oracle no run of a side has is left out when that side's
// runs have no oracles at all (the cell never completed: its verdict says so).
nlohmann::json oracle_diffs(const SideCell& a, const SideCell& b);
// {"a": {class: count summed over runs}, "b": {...}, "runs_a", "runs_b",
// "changed"}: changed when some class's count per run differs. null when a
// side has a run without a notify_path.summary object, or with
// trace_enabled false (nothing to compare).
nlohmann::json notify_path_diff(const SideCell& a, const SideCell& b);
// "holder 64" / "holder 60, generic-fallback 4" / "none".
std::string class_counts_text(const nlohmann::json& counts);

}  // namespace poisonlab
