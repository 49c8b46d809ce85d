#include "agent/fio_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/cell_spec.h"
#include "agent/fio_jobs.h"
#include "common/error.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;

// fio 3.33's --output file after a job process died of SIGBUS: the log
// line comes first, and the dead job's figures are zero.
const char* kSigbusOutput = R"(fio: pid=18853, got signal=7
{
  "fio version" : "fio-3.33",
  "jobs" : [
    {
      "jobname" : "mmap", "groupid" : 0, "error" : 0, "elapsed" : 2, "job_runtime" : 0,
      "read" : {"io_bytes" : 0, "bw" : 0, "iops" : 0.0, "runtime" : 0, "total_ios" : 0, "short_ios" : 0, "drop_ios" : 0},
      "write" : {"io_bytes" : 0, "bw" : 0, "iops" : 0.0, "runtime" : 0, "total_ios" : 0, "short_ios" : 0, "drop_ios" : 0}
    }
  ]
}
fio: file hash not empty on exit
)";

TEST(FioOutput, SignalLineBeforeJson) {
  FioOutput out = parse_fio_output(kSigbusOutput, "fio: pid=18853, got signal=7\nfio: some warning\n");
  EXPECT_EQ(out.parse_error, "");
  EXPECT_EQ(out.signals, std::vector<int>{7});
  EXPECT_THAT(out.messages, Contains("fio: file hash not empty on exit"));  // after the JSON
  EXPECT_THAT(out.messages, Contains("fio: some warning"));
  EXPECT_EQ(out.result["error"], 0);
  EXPECT_EQ(out.result["read"]["bw_kib_s"], 0);
  EXPECT_TRUE(out.result["total_err"].is_null());
}

TEST(FioOutput, ErrorAndTotals) {
  FioOutput out = parse_fio_output(
      R"({"jobs": [{"jobname": "p", "error": 5, "total_err": 3, "first_error": 5, "job_runtime": 4100,
          "read": {"bw": 51200, "iops": 12800.5, "io_bytes": 209715200, "runtime": 4100, "total_ios": 51200}}]})",
      "");
  EXPECT_TRUE(out.signals.empty());
  EXPECT_EQ(out.result["error"], 5);
  EXPECT_EQ(out.result["total_err"], 3);
  EXPECT_EQ(out.result["job_runtime_ms"], 4100);
  EXPECT_EQ(out.result["read"]["bw_kib_s"], 51200);
  EXPECT_TRUE(out.result["write"]["bw_kib_s"].is_null());
}

TEST(FioOutput, NoJson) {
  EXPECT_EQ(parse_fio_output("", "").parse_error, "no output");
  FioOutput out = parse_fio_output("fio: pid=3, got signal=9\n", "");
  EXPECT_EQ(out.parse_error, "no JSON in the output");
  EXPECT_EQ(out.signals, std::vector<int>{9});
  EXPECT_TRUE(out.result.is_null());
}

TEST(FioOutput, BwLogInMonotonicNs) {
  size_t bad = 0;
  json samples = parse_bw_log("23409960, 6889620, 0, 0, 0\n23410160, 6631040, 1, 0, 0, 0\ngarbage\n12, 3\n\n", &bad);
  EXPECT_EQ(bad, 2u);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0], json::parse("[23409960000000, 6889620, 0]"));
  EXPECT_EQ(samples[1][2], 1);
}

TEST(FioArgv, ReadOnlyVictimOnTheMonotonicClock) {
  FioJobSpec job{.name = "m", .ioengine = "mmap", .rw = "randread", .bs_kib = 8, .target = "victim"};
  auto argv = fio_argv(job, {"/mnt/t0-victim", 65536}, 100, 904, "/tmp/x/m");
  EXPECT_THAT(argv, Contains("--readonly"));
  EXPECT_THAT(argv, Contains("--log_alternate_epoch_clock_id=1"));
  EXPECT_THAT(argv, Contains("--bs=8k"));
  EXPECT_THAT(argv, Contains("--size=65536"));
  EXPECT_THAT(argv, Contains("--write_bw_log=/tmp/x/m"));
  EXPECT_THAT(argv, ::testing::Not(Contains("--continue_on_error=all")));
  job.target = "separate";
  job.continue_on_error = true;
  argv = fio_argv(job, {"/mnt/f", 4096}, 100, 904, "/tmp/x/m");
  EXPECT_THAT(argv, ::testing::Not(Contains("--readonly")));
  EXPECT_THAT(argv, Contains("--continue_on_error=all"));
}

json cell_with_fio(const json& fio) {
  json cell = json::parse(R"({"stack": {"type": "raw"}, "injection": {"method": "mce",
      "target": {"space": "file", "offset_pages": 4}, "pages": 1}})");
  cell["fio"] = fio;
  return cell;
}

TEST(FioSpec, ParsedFromCellSpec) {
  CellSpec s = parse_cell_spec(cell_with_fio(json::parse(R"({"jobs": [{"name": "mmap", "ioengine": "mmap"},
      {"name": "w", "ioengine": "psync", "rw": "write", "target": "separate", "size_pages": 32}],
      "before_ms": 500, "after_ms": 600, "log_avg_ms": 50})")),
                               "msg");
  ASSERT_TRUE(s.fio);
  EXPECT_EQ(s.fio->jobs[1].size_pages, 32u);
  EXPECT_EQ(s.fio->after_ms, 600u);
  json without = cell_with_fio(nullptr);
  without.erase("fio");
  EXPECT_FALSE(parse_cell_spec(without, "msg").fio.has_value());
}

TEST(FioSpec, BadFieldNamed) {
  auto error_of = [](const char* fio) {
    try {
      parse_cell_spec(cell_with_fio(json::parse(fio)), "msg");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_THAT(error_of(R"({"jobs": []})"), HasSubstr("msg: /fio/jobs: "));
  EXPECT_THAT(error_of(R"({"jobs": [{"name": "a", "ioengine": "aio"}]})"), HasSubstr("/fio/jobs/0/ioengine"));
  EXPECT_THAT(error_of(R"({"jobs": [{"name": "a", "ioengine": "mmap", "rw": "write"}]})"), HasSubstr("/fio/jobs/0/rw"));
  EXPECT_THAT(error_of(R"({"jobs": [{"name": "a", "ioengine": "mmap"}, {"name": "a", "ioengine": "psync"}]})"),
              HasSubstr("/fio/jobs/1/name"));
  EXPECT_THAT(error_of(R"({"jobs": [{"name": "../x", "ioengine": "mmap"}]})"), HasSubstr("/fio/jobs/0/name"));
}

}  // namespace
}  // namespace poisonlab::agent
