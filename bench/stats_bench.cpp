// Host-side statistics: what summarising a cell's latencies costs, and
// why the bootstrap is capped at kBootstrapMaxSamples.
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <random>

#include <benchmark/benchmark.h>

#include "report/scaling.h"
#include "report/stats.h"

namespace poisonlab {
namespace {

// Log-normal like real latencies; fixed seed so every run measures the same data.
std::vector<double> latencies(size_t n) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> ms(2.5, 0.4);
  std::vector<double> v(n);
  for (double& x : v) x = ms(rng);
  return v;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024;  // ru_maxrss is in KiB on Linux
}

// ru_maxrss is the peak of the whole process, earlier benchmarks included;
// writing 5 to clear_refs (Linux >= 4.0) resets it to the current RSS so the
// counter shows this benchmark's own peak. Returns that starting RSS.
double reset_peak_rss_mib() {
  std::ofstream("/proc/self/clear_refs") << "5";
  return peak_rss_mib();
}

void BM_Summarize(benchmark::State& state) {
  const std::vector<double> samples = latencies(static_cast<size_t>(state.range(0)));
  const double rss_before = reset_peak_rss_mib();
  for (auto _ : state) benchmark::DoNotOptimize(summarize(samples));  // the copy is part of the call
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["rss_before_MiB"] = rss_before;
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_Summarize)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Forced bootstrap at every size, 2000 resamples: the 1e6 case is what
// summarize() avoids by switching to order statistics.
void BM_BootstrapMedianCi(benchmark::State& state) {
  const std::vector<double> samples = latencies(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(bootstrap_median_ci(samples));
  state.SetItemsProcessed(state.iterations() * state.range(0) * static_cast<int64_t>(kBootstrapResamples));
}
BENCHMARK(BM_BootstrapMedianCi)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BootstrapMedianCi)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_OrderStatisticMedianCi(benchmark::State& state) {
  std::vector<double> sorted = latencies(static_cast<size_t>(state.range(0)));
  std::sort(sorted.begin(), sorted.end());
  for (auto _ : state) benchmark::DoNotOptimize(order_statistic_median_ci(sorted));
}
BENCHMARK(BM_OrderStatisticMedianCi)->Arg(1'000'000);

// A sweep of 10 points, e.g. latency against 1..512 poisoned pages.
void BM_FitPowerLaw(benchmark::State& state) {
  std::vector<ScalingPoint> points;
  for (int i = 0; i < 10; ++i) points.push_back({double(1 << i), 3.0 * (1 << i) * (1 + 0.05 * (i % 3))});
  for (auto _ : state) benchmark::DoNotOptimize(fit_power_law(points));
}
BENCHMARK(BM_FitPowerLaw);

}  // namespace
}  // namespace poisonlab
