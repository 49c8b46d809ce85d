#include "report/series.h"

#include <cmath>

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;

// A judged cell of a pages sweep whose revocation p50 is p50_ms.
json sweep_cell(const std::string& series, int value, json p50_ms) {
  return {{"id", series + "@pages=" + std::to_string(value)},
          {"verdict", "pass"},
          {"spec", {{"sweep", {{"parameter", "pages"}, {"value", value}, {"series", series}}}}},
          {"latency",
           {{"revocation_ms_stats", {{"n", 3}, {"p50", p50_ms}, {"p50_ci95", nullptr}}},
            {"phase_ms_stats", {{"kernel_handling", {{"p50", p50_ms.is_number() ? json(0.5) : json(nullptr)}}}}}}}};
}

TEST(Series, PointsInValueOrderAndTheScalingExponent) {
  // Revocation = 2 ms * pages: exponent 1; kernel handling flat: exponent 0.
  json cells = json::array({sweep_cell("k/raw/xfs/hw", 16, 32.0), sweep_cell("k/raw/xfs/hw", 1, 2.0),
                            sweep_cell("k/raw/xfs/hw", 4, 8.0), {{"id", "no-sweep"}, {"spec", json::object()}}});
  json series = build_series(cells);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0]["series"], "k/raw/xfs/hw");
  EXPECT_EQ(series[0]["parameter"], "pages");
  ASSERT_EQ(series[0]["points"].size(), 3u);
  EXPECT_EQ(series[0]["points"][0]["value"], 1);
  EXPECT_EQ(series[0]["points"][2]["cell"], "k/raw/xfs/hw@pages=16");
  const json& fit = series[0]["fits"]["revocation_ms_p50"];
  ASSERT_TRUE(fit["ok"].get<bool>()) << fit.dump();
  EXPECT_NEAR(fit["slope"].get<double>(), 1.0, 1e-9);
  EXPECT_NEAR(fit["r_squared"].get<double>(), 1.0, 1e-9);
  EXPECT_NEAR(series[0]["fits"]["kernel_handling_ms_p50"]["slope"].get<double>(), 0.0, 1e-9);
  EXPECT_FALSE(series[0]["fits"]["notify_to_unmap_done_ms_p50"]["ok"].get<bool>());  // never measured
}

TEST(Series, AnUnmeasuredPointIsSkippedNotFitted) {
  json cells = json::array({sweep_cell("s", 1, 1.0), sweep_cell("s", 4, nullptr), sweep_cell("s", 16, 16.0),
                            sweep_cell("other", 1, 1.0), sweep_cell("other", 2, 1.0)});
  json series = build_series(cells);
  ASSERT_EQ(series.size(), 2u);
  const json& fit = series[0]["fits"]["revocation_ms_p50"];
  EXPECT_EQ(fit["n"], 2);
  EXPECT_EQ(fit["skipped"], json::array({1}));
  EXPECT_EQ(series[1]["series"], "other");
  EXPECT_TRUE(build_series(json::array()).empty());
}

}  // namespace
}  // namespace poisonlab
