// Planning the largest shipped matrix, scenarios/stacks.json.
#include <benchmark/benchmark.h>

#include "plan/plan.h"
#include "scenario/scenario.h"

namespace poisonlab {
namespace {

const std::filesystem::path kStacks = std::filesystem::path(POISONLAB_SOURCE_DIR) / "scenarios/stacks.json";

void set_plan_counters(benchmark::State& state, const Plan& plan) {
  state.counters["cells"] = static_cast<double>(plan.cells.size());
  state.counters["not_applicable"] = static_cast<double>(plan.not_applicable.size());
}

// Expansion only: the cross product, applicability and every CellSpec.
void BM_PlanStacks(benchmark::State& state) {
  const Scenario scenario = load_scenario(kStacks);
  Plan plan;
  for (auto _ : state) {
    plan = plan_cells(scenario);
    benchmark::DoNotOptimize(plan);
  }
  set_plan_counters(state, plan);
}
BENCHMARK(BM_PlanStacks)->Unit(benchmark::kMicrosecond);

// What `poisonlab check` pays: reading and validating the file as well.
void BM_LoadAndPlanStacks(benchmark::State& state) {
  Plan plan;
  for (auto _ : state) {
    plan = plan_cells(load_scenario(kStacks));
    benchmark::DoNotOptimize(plan);
  }
  set_plan_counters(state, plan);
}
BENCHMARK(BM_LoadAndPlanStacks)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace poisonlab
