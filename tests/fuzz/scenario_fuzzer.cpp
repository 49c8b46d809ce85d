// libFuzzer target: bytes -> a scenario file -> load_scenario -> plan_cells,
// as `poisonlab check` does. Only InputErrors with a pointer are accepted.
#include <cstddef>
#include <cstdint>

#include "fuzz_outcome.h"
#include "plan/plan.h"
#include "scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poisonlab;
  const auto& file = fuzz::write_input("scenario.json", data, size);
  const nlohmann::json parsed = fuzz::parse_leniently(data, size);
  fuzz::expect_input_errors_only(file.string(), parsed.is_discarded() ? nullptr : &parsed, [&] {
    Scenario scenario = load_scenario(file);
    Plan plan = plan_cells(scenario);
    // What `check` prints and what a run hands the agent.
    for (const auto& cell : plan.cells) (void)cell.spec.dump();
    (void)scenario_to_json(scenario).dump();
  });
  return 0;
}
