#include "agent/perf_session.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

CellSpec spec_with(json perf, uint64_t pages = 4, int early_kill = 2) {
  json cell = json::parse(R"({"stack": {"type": "raw"}, "file_pages": 2048,
                              "injection": {"method": "hwpoison-pfn", "target": {"space": "file", "offset_pages": 0}}})");
  cell["injection"]["pages"] = pages;
  cell["victims"] = {{"early_kill", early_kill}};
  if (!perf.is_null()) cell["perf"] = perf;
  return parse_cell_spec(cell, "cell.json");
}

TEST(PerfCellSpec, OffWithoutPerfObject) {
  CellSpec s = spec_with(nullptr);
  EXPECT_FALSE(s.perf.stat);
  EXPECT_FALSE(s.perf.record);
}

TEST(PerfCellSpec, ParsesAndChecksRanges) {
  CellSpec s = spec_with({{"stat", true}, {"record", true}, {"record_min_pages", 16}, {"frequency", 499}});
  EXPECT_TRUE(s.perf.stat);
  EXPECT_TRUE(s.perf.record);
  EXPECT_EQ(s.perf.record_min_pages, 16u);
  EXPECT_EQ(s.perf.frequency, 499u);
  try {
    spec_with({{"record", true}, {"frequency", 0}});
    ADD_FAILURE() << "frequency 0 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/perf/frequency");
  }
}

TEST(PerfRecordDecision, OnlyLargeEvents) {
  EXPECT_EQ(record_skip_reason(spec_with({{"record", true}, {"record_min_pages", 64}}, 16)),
            "16 pages < record_min_pages 64");
  EXPECT_FALSE(record_skip_reason(spec_with({{"record", true}, {"record_min_pages", 64}}, 64)));
  EXPECT_EQ(record_skip_reason(spec_with({{"record", true}, {"record_min_pages", 1}, {"record_min_early_kill", 8}}, 4, 4)),
            "4 early-kill mappers < record_min_early_kill 8");
  EXPECT_FALSE(record_skip_reason(spec_with({{"record", true}, {"record_min_pages", 1}, {"record_min_early_kill", 8}}, 4, 8)));
}

TEST(PerfEvents, OnlyThoseTracefsHasWithTheSignalFilter) {
  TempDir events("perf-events");
  for (const char* dir : {"ras/memory_failure_event", "signal/signal_generate", "poisonlab/memory_failure"})
    std::filesystem::create_directories(events / dir);
  auto found = perf_stat_events(events.path());
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].name, "poisonlab:memory_failure");  // default_probes() order
  EXPECT_EQ(found[1].name, "ras:memory_failure_event");
  EXPECT_EQ(found[2].name, "signal:signal_generate");
  EXPECT_EQ(found[2].filter, "sig == 7");
  EXPECT_THAT(perf_stat_argv(found, "/tmp/s.csv"),
              ElementsAre("perf", "stat", "-a", "-x", ",", "-o", "/tmp/s.csv", "-e", "poisonlab:memory_failure", "-e",
                          "ras:memory_failure_event", "-e", "signal:signal_generate", "--filter", "sig == 7"));
}

TEST(PerfFiles, SlugKeepsTheCellIdReadable) {
  EXPECT_EQ(file_slug("debian-6.12/raw/xfs/hwpoison-pfn@pages=64"), "debian-6.12_raw_xfs_hwpoison-pfn@pages=64");
  EXPECT_EQ(file_slug("a b/../c"), "a_b_.._c");
  EXPECT_EQ(file_slug(""), "cell");
}

// A stand-in for perf that speaks the control protocol: reads "enable" from
// the ctl FIFO, acks, and on SIGINT writes a count and exits.
constexpr const char* kFakePerf = R"(#!/bin/sh
for a; do case "$a" in fifo:*) spec=${a#fifo:} ;; esac; done
ctl=${spec%,*}; ack=${spec#*,}
trap 'echo "3,,ras:memory_failure_event,1,100.00,," > "$FAKE_OUT"; exit 0' INT
read cmd < "$ctl"
[ "$cmd" = enable ] && echo ack > "$ack"
while :; do sleep 0.02; done
)";

std::filesystem::path script(const TempDir& dir, const char* name, const char* text) {
  auto path = dir.write(name, text);
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(ControlledPerf, EnablesThenStopsOnSigint) {
  TempDir dir("perf-ctl");
  auto fake = script(dir, "perf", kFakePerf);
  ::setenv("FAKE_OUT", (dir / "out").c_str(), 1);
  ControlledPerf perf({fake.string()}, dir.path(), "stat", milliseconds(5000));
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));  // still counting
  EXPECT_EQ(perf.stop(milliseconds(5000)), "");
  EXPECT_THAT(read_file(dir / "out"), HasSubstr("ras:memory_failure_event"));
}

TEST(ControlledPerf, PerfThatFailsToStartSaysWhy) {
  TempDir dir("perf-ctl");
  auto fake = script(dir, "perf", "#!/bin/sh\necho \"event syntax error: 'ras:nope'\"\nexit 129\n");
  try {
    ControlledPerf perf({fake.string()}, dir.path(), "stat", milliseconds(5000));
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("exit 129"));
    EXPECT_THAT(e.what(), HasSubstr("event syntax error"));
  }
}

TEST(ControlledPerf, NoAckTimesOutAndKillsPerf) {
  TempDir dir("perf-ctl");
  auto fake = script(dir, "perf", "#!/bin/sh\necho $$ > \"$0.pid\"\nexec sleep 30\n");
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(ControlledPerf({fake.string()}, dir.path(), "stat", milliseconds(300)), std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  pid_t pid = std::stoi(read_file(dir / "perf.pid"));
  EXPECT_NE(::kill(pid, 0), 0);  // killed and reaped with the object
  EXPECT_FALSE(std::filesystem::exists(dir / "stat.ctl"));
}

}  // namespace
}  // namespace poisonlab::agent
