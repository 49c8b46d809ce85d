#include "report/rejudge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/fs_util.h"
#include "oracles/canned_observation.h"
#include "report/report.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

using nlohmann::json;

TEST(Rejudge, JudgesStoredObservationsAgainAndKeepsFailedCells) {
  TempDir dir("pl-rejudge");
  json stale = {{"id", "k/raw/xfs/madvise"}, {"kernel", "k"}, {"stack", "raw"}, {"method", "madvise"},
                {"verdict", "error"}, {"status", "completed"}, {"error", "malformed observation: old oracles"},
                {"oracles", json::array()}, {"spec", canned::cell_spec()}, {"observation", canned::observation()},
                {"serial_log", "vm-k/serial.log"}};
  json hung = {{"id", "k/raw/xfs/unbind"}, {"verdict", "error"}, {"status", "hang"}, {"observation", nullptr},
               {"oracles", json::array()}};
  json report = {{"schema_version", 1}, {"run", {{"id", "r1"}}}, {"kernels", json::array({{{"variant", "k"}}})},
                 {"cells", json::array({stale, hung})}};
  json out = rejudge_report(report, dir.path(), dir / "report.json", "poisonlab judge x");
  ASSERT_EQ(out["cells"].size(), 2u);
  EXPECT_EQ(out["cells"][0]["verdict"], "pass") << out["cells"][0]["oracles"].dump(1).substr(0, 2000);
  EXPECT_FALSE(out["cells"][0]["oracles"].empty());
  EXPECT_EQ(out["cells"][0]["serial_log"], "vm-k/serial.log");
  EXPECT_EQ(out["cells"][1]["status"], "hang");
  EXPECT_EQ(out["run"]["id"], "r1");
  EXPECT_EQ(out["run"]["rejudged"]["command_line"], "poisonlab judge x");
  EXPECT_EQ(load_report(dir / "report.json")["summary"]["passed"], 1);
}

}  // namespace
}  // namespace poisonlab
