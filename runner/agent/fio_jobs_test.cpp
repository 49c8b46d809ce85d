// Runs the host's fio for about a second per test: the process handling
// (start, SIGTERM, output) and the clock of the bandwidth log.
#include "agent/fio_jobs.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "agent/clock.h"
#include "agent/trial_file.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;

FioSpec short_spec(FioJobSpec job) {
  FioSpec spec;
  spec.jobs = {std::move(job)};
  spec.before_ms = 400;
  spec.after_ms = 400;
  spec.log_avg_ms = 50;
  return spec;
}

TEST(FioJobs, SeparateFileRunsUntilStoppedOnTheMonotonicClock) {
  if (!find_program("fio")) GTEST_SKIP() << "no fio";
  TempDir dir;
  std::vector<std::string> errors;
  FioJobs fio(short_spec({.name = "p", .ioengine = "psync", .rw = "randwrite", .target = "separate", .size_pages = 64}),
              0, std::nullopt, dir.path(), errors);
  fio.wait_baseline();
  uint64_t mid = monotonic_ns();
  fio.stop_after(mid);
  json out = fio.to_json();
  EXPECT_TRUE(errors.empty());
  const json& job = out["jobs"][0];
  EXPECT_EQ(job["stopped_by"], "term") << job.dump(2);
  EXPECT_EQ(job["file"], (dir.path() / "t0-fio-p").string());
  EXPECT_EQ(job["result"]["error"], 0);
  EXPECT_GT(job["result"]["write"]["bw_kib_s"].get<double>(), 0);
  const json& samples = job["bw_log"]["samples"];
  ASSERT_GE(samples.size(), 4u) << job.dump(2);
  // Samples lie between the start and the stop, on the agent's clock.
  EXPECT_GE(samples.front()[0].get<uint64_t>(), job["spawn_ns"].get<uint64_t>() - 1000000);
  EXPECT_LE(samples.back()[0].get<uint64_t>(), job["stop_ns"].get<uint64_t>() + 1000000000);
  EXPECT_LT(samples.front()[0].get<uint64_t>(), mid);
  EXPECT_GT(samples.back()[0].get<uint64_t>(), mid);
}

// The mmap job on a file that shrinks under it takes SIGBUS, as on poison.
TEST(FioJobs, MmapJobKilledBySigbusIsRecorded) {
  if (!find_program("fio")) GTEST_SKIP() << "no fio";
  TempDir dir;
  TrialFile victim = create_pattern_file(dir / "victim", "victim", 256);
  std::vector<std::string> errors;
  FioSpec spec = short_spec({.name = "m", .ioengine = "mmap", .rw = "randread", .target = "victim"});
  spec.after_ms = 2000;  // fio notices its dead job and exits in that time
  FioJobs fio(spec, 0,
              FioFile{victim.path, victim.size}, dir.path(), errors);
  fio.wait_baseline();
  ASSERT_EQ(::truncate(victim.path.c_str(), 0), 0);
  fio.stop_after(monotonic_ns());
  json job = fio.to_json()["jobs"][0];
  EXPECT_EQ(job["stopped_by"], "exited") << job.dump(2);
  EXPECT_EQ(job["signals_reported"], json::array({7})) << job.dump(2);
  EXPECT_FALSE(job["bw_log"]["samples"].empty());
}

TEST(FioJobs, VictimJobWithoutVictimIsAnError) {
  TempDir dir;
  std::vector<std::string> errors;
  FioJobs fio(short_spec({.name = "m", .ioengine = "mmap"}), 0, std::nullopt, dir.path(), errors);
  ASSERT_EQ(errors.size(), 1u);
  json job = fio.to_json()["jobs"][0];
  EXPECT_TRUE(job["stopped_by"].is_null());
  EXPECT_EQ(job["error"], "the trial has no victim file");
}

}  // namespace
}  // namespace poisonlab::agent
