#pragma once
// How a measurement scales with a swept parameter (e.g. revocation latency
// against the number of poisoned pages or of mappers): the least-squares
// line through (ln x, ln y), so y ~ exp(intercept) * x^slope and the slope is
// the scaling exponent (1: linear, 2: quadratic, ~0: flat).
//
// Only points with finite x > 0 and y > 0 have a logarithm; the others are
// not fitted but listed as skipped, so a sweep with a missing (null or 0)
// measurement still gets a fit and says what it left out.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct ScalingPoint {
  double x = 0, y = 0;
};

struct ScalingFit {
  bool ok = false;
  std::string reason;           // why there is no fit, when !ok
  size_t n = 0;                 // points fitted
  std::vector<size_t> skipped;  // indices of the points that could not be fitted
  // Meaningful only when ok.
  double slope = 0;
  double intercept = 0;  // natural log of the prefactor
  // 1 - residual / total sum of squares of ln y; 1 when every ln y is equal
  // (the flat line leaves nothing unexplained).
  double r_squared = 0;
  // Standard error of the slope, sqrt(SSE / (n - 2) / Sxx); needs n >= 3
  // (two points always lie on a line and leave no residual to estimate from).
  std::optional<double> slope_stderr;
};

// Never throws for bad data: fewer than 2 usable points or all usable x
// equal give !ok with a reason.
ScalingFit fit_power_law(const std::vector<ScalingPoint>& points);

// {"ok", "reason": null | "...", "n", "skipped": [index...], "slope",
//  "intercept", "r_squared", "slope_stderr"}; the last four null when !ok,
// slope_stderr also when n < 3.
nlohmann::json to_json(const ScalingFit& fit);

}  // namespace poisonlab
