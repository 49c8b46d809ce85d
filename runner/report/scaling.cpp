#include "report/scaling.h"

#include <algorithm>
#include <cmath>

namespace poisonlab {

namespace {

struct LogPoints {
  std::vector<double> u, v;  // ln x, ln y
};

bool usable(const ScalingPoint& p) { return std::isfinite(p.x) && std::isfinite(p.y) && p.x > 0 && p.y > 0; }

LogPoints take_logs(const std::vector<ScalingPoint>& points, std::vector<size_t>& skipped) {
  LogPoints logs;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!usable(points[i])) {
      skipped.push_back(i);
      continue;
    }
    logs.u.push_back(std::log(points[i].x));
    logs.v.push_back(std::log(points[i].y));
  }
  return logs;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

// Two passes (means first, then centred sums) rather than sum-of-squares
// formulas, which lose every digit when ln x are large and close together.
void fit_line(const LogPoints& logs, ScalingFit& fit) {
  const double u_mean = mean(logs.u), v_mean = mean(logs.v);
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < fit.n; ++i) {
    const double du = logs.u[i] - u_mean, dv = logs.v[i] - v_mean;
    sxx += du * du;
    sxy += du * dv;
    syy += dv * dv;
  }
  fit.slope = sxy / sxx;
  fit.intercept = v_mean - fit.slope * u_mean;
  // Residuals summed directly: syy - slope * sxy can come out negative.
  double sse = 0;
  for (size_t i = 0; i < fit.n; ++i) {
    const double residual = logs.v[i] - (fit.intercept + fit.slope * logs.u[i]);
    sse += residual * residual;
  }
  fit.r_squared = syy > 0 ? std::max(0.0, 1 - sse / syy) : 1.0;
  if (fit.n >= 3) fit.slope_stderr = std::sqrt(sse / static_cast<double>(fit.n - 2) / sxx);
}

}  // namespace

ScalingFit fit_power_law(const std::vector<ScalingPoint>& points) {
  ScalingFit fit;
  LogPoints logs = take_logs(points, fit.skipped);
  fit.n = logs.u.size();
  if (fit.n < 2) {
    fit.reason = "fewer than 2 points with x > 0 and y > 0";
    return fit;
  }
  // Compared exactly on the logs: equal x give equal logs, whereas the
  // centred sum of squares of equal values need not be exactly 0.
  if (std::all_of(logs.u.begin(), logs.u.end(), [&](double u) { return u == logs.u.front(); })) {
    fit.reason = "every usable point has the same x: no slope";
    return fit;
  }
  fit_line(logs, fit);
  fit.ok = true;
  return fit;
}

nlohmann::json to_json(const ScalingFit& fit) {
  auto value = [&](double v) { return fit.ok ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json stderr_json = nullptr;
  if (fit.ok && fit.slope_stderr) stderr_json = *fit.slope_stderr;
  return {{"ok", fit.ok},
          {"reason", fit.ok ? nlohmann::json(nullptr) : nlohmann::json(fit.reason)},
          {"n", fit.n},
          {"skipped", fit.skipped},
          {"slope", value(fit.slope)},
          {"intercept", value(fit.intercept)},
          {"r_squared", value(fit.r_squared)},
          {"slope_stderr", stderr_json}};
}

}  // namespace poisonlab
