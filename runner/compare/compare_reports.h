#pragma once
// `poisonlab compare`: run(s) A against run(s) B, cell by cell. Its JSON
// result (reports/compare.md documents it) is what the CLI prints and what
// the dashboard's A/B view is built from.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "compare/experimental_unit.h"
#include "compare/latency_change.h"
#include "compare/report_side.h"

namespace poisonlab {

inline constexpr int kCompareFormatVersion = 1;
inline constexpr const char* kAllMetrics = "all";
// The exit status for "a regression was found": the same 3 as a run whose
// oracles failed, so CI treats both alike.
inline constexpr int kExitRegression = kExitOracleFailed;

struct CompareOptions {
  ChangeOptions change;
  // "revocation", phase names ("kernel_handling", ...), or "all": revocation
  // and every phase a cell of either side records.
  std::vector<std::string> metrics{"revocation"};
  // Only this kernel's cells form the side (one two-kernel report can be
  // compared against itself); without, a side must hold one kernel per key.
  std::optional<std::string> kernel_a, kernel_b;
  // Trial or run (experimental_unit.h); nullopt: run when both sides have
  // enough reports for a call (runs_needed_per_side), else trial.
  std::optional<ExperimentalUnit> unit;
};

// Throws InputError / UserError(kExitBadInput) for reports that cannot be
// compared (reports/compare.md, "Errors").
nlohmann::json compare_reports(const std::vector<NamedReport>& a, const std::vector<NamedReport>& b,
                               const CompareOptions& options);
// For callers holding only the documents: named "A1", "A2", "B1", ... in errors.
nlohmann::json compare_reports(const std::vector<nlohmann::json>& a, const std::vector<nlohmann::json>& b,
                               const CompareOptions& options);

// What makes the exit status non-zero.
enum class FailOn { kRegression, kChange, kNever };
// "regression" | "change" | "never"; nullopt for anything else.
std::optional<FailOn> parse_fail_on(const std::string& text);
// 0, or kExitRegression (3) when the result has a regression (kRegression)
// or any change (kChange).
int compare_exit_code(const nlohmann::json& result, FailOn fail_on);

}  // namespace poisonlab
