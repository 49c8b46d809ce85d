#include "report/rejudge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "oracles/canned_observation.h"
#include "oracles/oracles.h"
#include "report/report.h"
#include "report/schema_test_util.h"

namespace poisonlab {
namespace {

using nlohmann::json;

TEST(Rejudge, JudgesStoredObservationsAgainAndKeepsFailedCells) {
  TempDir dir("pl-rejudge");
  json stale = {{"id", "k/raw/xfs/madvise"}, {"kernel", "k"}, {"stack", "raw"}, {"method", "madvise"},
                {"filesystem", "xfs"}, {"target", "file"}, {"key", "raw/xfs/madvise"},
                {"verdict", "error"}, {"status", "completed"}, {"error", "malformed observation: old oracles"},
                {"oracles", json::array()}, {"spec", canned::cell_spec()}, {"observation", canned::observation()},
                {"serial_log", "vm-k/serial.log"}};
  json hung = judge_failed_cell({"k/raw/xfs/unbind", "k", "raw", "unbind", "xfs", "device"}, "hang", "no message", "");
  json run = schema_test::sample_run_metadata("r1");
  json report = {{"schema_version", kReportSchemaVersion}, {"run", run}, {"kernels", json::array()},
                 {"cells", json::array({stale, hung})}};
  json out = rejudge_report(report, dir.path(), dir / "report.json", "poisonlab judge x");
  ASSERT_EQ(out["cells"].size(), 2u);
  EXPECT_EQ(out["cells"][0]["verdict"], "pass") << out["cells"][0]["oracles"].dump(1).substr(0, 2000);
  EXPECT_FALSE(out["cells"][0]["oracles"].empty());
  EXPECT_EQ(out["cells"][0]["serial_log"], "vm-k/serial.log");
  EXPECT_EQ(out["cells"][1]["status"], "hang");
  EXPECT_EQ(out["run"]["id"], "r1");
  EXPECT_EQ(out["run"]["rejudged"]["command_line"], "poisonlab judge x");
  EXPECT_EQ(out["run"]["variants"], json({"k"}));
  EXPECT_EQ(out["cells"][0]["key"], "raw/xfs/madvise");
  EXPECT_EQ(load_report(dir / "report.json")["summary"]["passed"], 1);
  EXPECT_EQ(schema_test::report_schema_errors(dir / "report.json"), "");
}

}  // namespace
}  // namespace poisonlab
