#include "oracles/oracles.h"

#include <gtest/gtest.h>

#include "oracles/canned_observation.h"

namespace poisonlab {
namespace {

using canned::oracle;
using canned::victim;
using nlohmann::json;

const CellIdentity kIdentity{"debian-6.12/raw/madvise", "debian-6.12", "raw", "madvise"};

json judge(const json& obs, const json& spec = canned::cell_spec()) { return judge_cell(kIdentity, spec, obs); }

std::string verdict_of(const json& judged, const std::string& name) {
  json o = oracle(judged, name);
  return o.is_null() ? "absent" : o["verdict"].get<std::string>();
}

TEST(JudgeCell, CannedObservationPassesEveryOracle) {
  json judged = judge(canned::observation());
  EXPECT_EQ(judged["verdict"], "pass");
  EXPECT_EQ(judged["status"], "completed");
  EXPECT_EQ(judged["error"], nullptr);
  EXPECT_EQ(judged["id"], "debian-6.12/raw/madvise");
  EXPECT_EQ(judged["kernel"], "debian-6.12");
  EXPECT_EQ(judged["stack"], "raw");
  EXPECT_EQ(judged["method"], "madvise");
  EXPECT_EQ(judged["observation"], canned::observation());
  ASSERT_EQ(judged["oracles"].size(), 13u);
  for (const json& o : judged["oracles"]) {
    EXPECT_EQ(o["verdict"], "pass") << o.dump(2);
    EXPECT_FALSE(o["summary"].get<std::string>().empty());
  }
}

TEST(JudgeCell, WithoutIdentity) {
  json judged = judge_cell(canned::cell_spec(), canned::observation());
  EXPECT_EQ(judged["verdict"], "pass");
  EXPECT_FALSE(judged.contains("id"));
}

TEST(EarlyKillSignalled, MissingSignalFails) {
  json obs = canned::observation();
  victim(obs, 1, "early-0")["signals"].erase(2);  // page 6
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "fail");
  json o = oracle(judged, "early_kill_signalled");
  EXPECT_EQ(o["verdict"], "fail");
  const json& trial1_early0 = o["evidence"][2];
  ASSERT_EQ(trial1_early0["victim"], "early-0");
  ASSERT_EQ(trial1_early0["trial"], 1);
  ASSERT_EQ(trial1_early0["missing"].size(), 1u);
  EXPECT_EQ(trial1_early0["missing"][0]["page"], 6);
  EXPECT_EQ(trial1_early0["missing"][0]["addr"], canned::map_addr_of(0) + 6 * canned::kPageSize);
  EXPECT_TRUE(o["evidence"][0]["missing"].empty());
  EXPECT_NE(o["summary"].get<std::string>().find("15 of 16"), std::string::npos);
}

TEST(EarlyKillSignalled, EvidenceNamesWhatTheKernelLogged) {
  json obs = canned::observation();
  obs["trials"][0]["kernel_log"].push_back(
      "[ 10.0003] Memory failure: 0x100204: Sending SIGBUS to poisonlab-victim:601 due to hardware memory corruption");
  json o = oracle(judge(obs), "early_kill_signalled");
  EXPECT_EQ(o["evidence"][1]["victim"], "early-1");
  EXPECT_EQ(o["evidence"][1]["kernel_logged_sigbus_pfns"], json::array({"0x100204"}));
  EXPECT_TRUE(o["evidence"][0]["kernel_logged_sigbus_pfns"].empty());
}

TEST(EarlyKillSignalled, WrongAddressIsMissingAndUnexpected) {
  json obs = canned::observation();
  victim(obs, 0, "early-1")["signals"][0]["addr"] = canned::map_addr_of(1) + 9 * canned::kPageSize;
  json o = oracle(judge(obs), "early_kill_signalled");
  EXPECT_EQ(o["verdict"], "fail");
  const json& e = o["evidence"][1];
  ASSERT_EQ(e["missing"].size(), 1u);
  EXPECT_EQ(e["missing"][0]["page"], 4);
  ASSERT_EQ(e["unexpected"].size(), 1u);
  EXPECT_EQ(e["unexpected"][0]["page"], 9);
}

TEST(EarlyKillSignalled, ActionRequiredCodeInsteadOfActionOptionalFails) {
  json obs = canned::observation();
  victim(obs, 0, "early-0")["signals"][3]["code"] = 4;
  json o = oracle(judge(obs), "early_kill_signalled");
  EXPECT_EQ(o["verdict"], "fail");
  const json& e = o["evidence"][0];
  ASSERT_EQ(e["missing"].size(), 1u);
  EXPECT_EQ(e["missing"][0]["page"], 7);
  ASSERT_EQ(e["other_signals"].size(), 1u);
  EXPECT_EQ(e["other_signals"][0]["code"], 4);
}

TEST(EarlyKillSignalled, DuplicateActionOptionalSignalFails) {
  json obs = canned::observation();
  json& signals = victim(obs, 0, "early-0")["signals"];
  signals.push_back(signals[0]);
  json o = oracle(judge(obs), "early_kill_signalled");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["unexpected"].size(), 1u);
}

TEST(EarlyKillSignalled, SkippedWithoutEarlyKillVictims) {
  json obs = canned::observation();
  for (json& t : obs["trials"]) {
    json kept = json::array();
    for (json& v : t["victims"])
      if (v["role"] != "early-kill") kept.push_back(v);
    t["victims"] = kept;
  }
  // The cell asked for two: their absence is a failure.
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "early_kill_signalled"), "fail");
  EXPECT_EQ(oracle(judged, "early_kill_signalled")["evidence"]["asked"], 2);
  // A cell without early-kill victims: nothing to check.
  json spec = canned::cell_spec();
  spec["victims"]["early_kill"] = 0;
  judged = judge(obs, spec);
  EXPECT_EQ(verdict_of(judged, "early_kill_signalled"), "skip");
  EXPECT_EQ(verdict_of(judged, "si_addr_lsb"), "skip");
  EXPECT_EQ(judged["latency"]["revocation_ns"], json::array({nullptr, nullptr}));
  EXPECT_EQ(judged["verdict"], "pass");
}

TEST(SiAddrLsb, WrongLsbFailsAndNullShiftSkips) {
  json obs = canned::observation();
  victim(obs, 1, "early-1")["signals"][1]["addr_lsb"] = 21;
  json o = oracle(judge(obs), "si_addr_lsb");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][3]["mismatches"].size(), 1u);
  EXPECT_EQ(o["evidence"][3]["mismatches"][0]["addr_lsb"], 21);

  json unknown_shift = canned::observation();
  for (int t = 0; t < 2; ++t)
    for (const char* id : {"early-0", "early-1"}) victim(unknown_shift, t, id)["mapping_page_shift"] = nullptr;
  EXPECT_EQ(verdict_of(judge(unknown_shift), "si_addr_lsb"), "skip");
}

TEST(NeighbourUntouched, SignalledNeighbourFails) {
  json obs = canned::observation();
  victim(obs, 0, "neighbour-0")["signals"].push_back(
      {{"signo", 7}, {"code", 5}, {"addr", canned::map_addr_of(9)}, {"addr_lsb", 12}, {"time_ns", 1}});
  json o = oracle(judge(obs), "neighbour_untouched");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["signals"].size(), 1u);
  EXPECT_EQ(o["evidence"][0]["signals"][0]["page"], 8);
}

TEST(NeighbourUntouched, UnmappedNeighbourPageFails) {
  json obs = canned::observation();
  victim(obs, 1, "neighbour-0")["pagemap_after"][2]["present"] = false;
  json o = oracle(judge(obs), "neighbour_untouched");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][1]["pages_not_present"], json::array({10}));
}

TEST(LateKillRecorded, ReportsPteStateAndFailsWhenNotRecorded) {
  json judged = judge(canned::observation());
  json o = oracle(judged, "late_kill_recorded");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"][0]["pages"][0]["present"], true);
  EXPECT_NE(o["summary"].get<std::string>().find("8 present, 0 not present"), std::string::npos);

  json obs = canned::observation();
  victim(obs, 0, "late-0")["pagemap_after"][1]["present"] = false;
  EXPECT_EQ(verdict_of(judge(obs), "late_kill_recorded"), "pass");  // recorded: the oracle does not judge the state
  victim(obs, 0, "late-0")["pagemap_after"].erase(3);
  o = oracle(judge(obs), "late_kill_recorded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["missing_pages"], json::array({7}));
}

TEST(ReaccessNoHang, TimeoutFailsDisabledSkips) {
  json obs = canned::observation();
  victim(obs, 1, "late-0")["reaccess"]["outcome"] = "timeout";
  json o = oracle(judge(obs), "reaccess_no_hang");
  EXPECT_EQ(o["verdict"], "fail");
  bool found = false;
  for (const json& e : o["evidence"]) found = found || (e["victim"] == "late-0" && e["outcome"] == "timeout");
  EXPECT_TRUE(found);

  json spec = canned::cell_spec();
  spec["reaccess"] = false;
  EXPECT_EQ(verdict_of(judge(obs, spec), "reaccess_no_hang"), "skip");

  json not_done = canned::observation();
  for (json& t : not_done["trials"])
    for (json& v : t["victims"]) v["reaccess"] = {{"done", false}, {"outcome", "not-run"}};
  EXPECT_EQ(verdict_of(judge(not_done), "reaccess_no_hang"), "skip");
}

TEST(PfnArithmetic, MismatchIsListed) {
  json obs = canned::observation();
  json& page = obs["trials"][1]["pages"][2];
  page["pfn_pagemap"] = page["pfn_computed"].get<uint64_t>() + 1;
  page["pfn_kernel"] = nullptr;  // not printed: not compared
  json o = oracle(judge(obs), "pfn_arithmetic");
  EXPECT_EQ(o["verdict"], "fail");
  ASSERT_EQ(o["evidence"]["mismatches"].size(), 1u);
  EXPECT_EQ(o["evidence"]["mismatches"][0]["file_page"], 6);
  EXPECT_EQ(o["evidence"]["mismatches"][0]["differ"], json::array({"pfn_pagemap"}));
  EXPECT_EQ(o["evidence"]["comparisons"], 23);
}

TEST(PfnArithmetic, InjectedPfnDisagreeing) {
  json obs = canned::observation();
  obs["trials"][0]["injection"]["steps"][0]["pfn"] = 0x42;
  json o = oracle(judge(obs), "pfn_arithmetic");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["mismatches"][0]["differ"], json::array({"pfn_injected"}));
}

TEST(RecoveredPerPage, FailedRecoveryFails) {
  json obs = canned::observation();
  std::string& line = obs["trials"][0]["kernel_log"][3].get_ref<std::string&>();
  line.replace(line.find("Recovered"), 9, "Failed");
  json o = oracle(judge(obs), "recovered_per_page");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][1]["recovered"], false);
  EXPECT_EQ(o["evidence"][1]["recovery_results"][0]["result"], "Failed");
  EXPECT_NE(o["summary"].get<std::string>().find("7 of 8"), std::string::npos);
}

TEST(SiAddrLsb, NonMachineCheckSigbusIsNotChecked) {
  json obs = canned::observation();
  // A plain BUS_ADRERR on re-access carries no si_addr_lsb.
  victim(obs, 0, "early-0")["signals"].push_back({{"signo", 7},
                                                  {"code", 2},
                                                  {"addr", canned::map_addr_of(0) + 4 * canned::kPageSize},
                                                  {"addr_lsb", 0},
                                                  {"time_ns", 1}});
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "si_addr_lsb"), "pass");
  EXPECT_EQ(verdict_of(judged, "early_kill_signalled"), "pass");  // other signals do not fail it
  EXPECT_EQ(oracle(judged, "early_kill_signalled")["evidence"][0]["other_signals"].size(), 1u);
}

TEST(Pagemap, UnreadEntriesAreNotRecorded) {
  json obs = canned::observation();
  victim(obs, 0, "neighbour-0")["pagemap_after"][0]["present"] = nullptr;
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "neighbour_untouched"), "pass");
  EXPECT_EQ(oracle(judged, "neighbour_untouched")["evidence"][0]["pages_not_read"], json::array({8}));

  victim(obs, 1, "late-0")["pagemap_after"][0]["present"] = nullptr;
  json o = oracle(judge(obs), "late_kill_recorded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][1]["missing_pages"], json::array({4}));
}

TEST(InjectionSucceeded, StepTheAgentCouldNotRunFails) {
  json obs = canned::observation();
  obs["trials"][1]["injection"]["steps"][0]["error"] = "no injector process";
  json o = oracle(judge(obs), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["failed"][0]["error"], "no injector process");
}

TEST(RecoveredPerPage, FallsBackToTheCellLog) {
  json obs = canned::observation();
  obs["trials"][0]["kernel_log"] = json::array();
  json o = oracle(judge(obs), "recovered_per_page");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"][0]["log"], "cell");
  obs["kernel_log"] = json::array();
  EXPECT_EQ(verdict_of(judge(obs), "recovered_per_page"), "fail");
}

TEST(KernelHealthy, WarningInLogFails) {
  json obs = canned::observation();
  obs["kernel_log"].push_back("[   12.000000] ------------[ cut here ]------------");
  obs["kernel_log"].push_back(
      "[   12.000001] WARNING: CPU: 1 PID: 500 at mm/memory-failure.c:2204 memory_failure+0x3f/0x7e0");
  obs["kernel_log"].push_back("[   12.000002] Call Trace:");
  json judged = judge(obs);
  json o = oracle(judged, "kernel_healthy");
  EXPECT_EQ(o["verdict"], "fail");
  ASSERT_EQ(o["evidence"]["problems"].size(), 1u);
  EXPECT_EQ(o["evidence"]["problems"][0]["title"], "WARNING in memory_failure");
  EXPECT_EQ(judged["verdict"], "fail");
}

TEST(FsNotShutDown, ShutdownMessageTraceEventOrUmountFailureFails) {
  json obs = canned::observation();
  obs["kernel_log"].push_back(
      "[ 13.0] XFS (pmem0): Corruption of in-memory data (0x8) detected. Shutting down filesystem.");
  json o = oracle(judge(obs), "fs_not_shut_down");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["shutdown_messages"][0]["device"], "pmem0");

  json traced = canned::observation();
  traced["trials"][1]["trace_events"].push_back({{"time_ns", canned::trial_base_ns(1) + 99},
                                                 {"cpu", 0},
                                                 {"pid", 500},
                                                 {"comm", "x"},
                                                 {"event", "xfs_force_shutdown"},
                                                 {"args", {{"flags", "0x8"}}}});
  o = oracle(judge(traced), "fs_not_shut_down");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["xfs_force_shutdown_events"][0]["trial"], 1);

  json umount = canned::observation();
  umount["teardown"]["umount_ok"] = false;
  umount["teardown"]["umount_error"] = "EBUSY";
  o = oracle(judge(umount), "fs_not_shut_down");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["umount_error"], "EBUSY");
}

TEST(InjectionSucceeded, FailedStepReportsErrno) {
  json obs = canned::observation();
  obs["trials"][0]["injection"]["steps"][1]["ret"] = -1;
  obs["trials"][0]["injection"]["steps"][1]["errno"] = 16;
  json o = oracle(judge(obs), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  ASSERT_EQ(o["evidence"]["failed"].size(), 1u);
  EXPECT_EQ(o["evidence"]["failed"][0]["errno"], 16);
  EXPECT_EQ(o["evidence"]["failed"][0]["file_page"], 5);
  EXPECT_FALSE(o["evidence"]["failed"][0]["error"].get<std::string>().empty());

  json no_steps = canned::observation();
  no_steps["trials"][1]["injection"]["steps"] = json::array();
  o = oracle(judge(no_steps), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["trials_without_steps"], json::array({1}));
}

TEST(DaxActive, StatxWithoutDaxFails) {
  json obs = canned::observation();
  obs["stack"]["dax"]["statx_attr_dax"] = false;
  obs["kernel_log"].push_back("[ 9.0] XFS (pmem0): DAX unsupported by block device. Turning off DAX.");
  json o = oracle(judge(obs), "dax_active");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["kernel_messages"][0]["dax_enabled"], false);
}

TEST(TrialsCompleted, FewerTrialsThanAskedFails) {
  json obs = canned::observation();
  obs["trials"].erase(1);
  json o = oracle(judge(obs), "trials_completed");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["observed"], 1);
  EXPECT_EQ(o["evidence"]["wanted"], 2);
}

// The runner builds specs from C++ ints (signed JSON numbers); a spec parsed
// from text holds unsigned ones. Both must count.
TEST(TrialsCompleted, SignedCountsInSpecAreRead) {
  json spec = canned::cell_spec();
  spec["trials"] = static_cast<int>(spec["trials"].get<int64_t>());
  spec["victims"]["early_kill"] = static_cast<int>(spec["victims"]["early_kill"].get<int64_t>());
  ASSERT_TRUE(spec["trials"].is_number_integer() && !spec["trials"].is_number_unsigned());
  json obs = canned::observation();
  obs["trials"].erase(1);
  EXPECT_EQ(verdict_of(judge(obs, spec), "trials_completed"), "fail");
  EXPECT_EQ(verdict_of(judge(canned::observation(), spec), "trials_completed"), "pass");
}

TEST(TraceDisabled, TraceOraclesSkipAndNotifyPathIsEmpty) {
  json obs = canned::observation();
  obs["trace"] = {{"enabled", false}, {"probes", json::array()}};
  for (json& t : obs["trials"]) t["trace_events"] = json::array();
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "pass");
  EXPECT_EQ(verdict_of(judged, "memory_failure_traced"), "skip");
  EXPECT_EQ(verdict_of(judged, "fs_not_shut_down"), "pass");
  EXPECT_EQ(oracle(judged, "fs_not_shut_down")["evidence"]["trace_checked"], false);
  EXPECT_TRUE(judged["notify_path"]["summary"].empty());
  EXPECT_EQ(judged["notify_path"]["trace_enabled"], false);
  EXPECT_EQ(judged["latency"]["phases"][0]["memory_failure_first_ns"], nullptr);
  EXPECT_EQ(judged["latency"]["phases"][0]["kernel_handling_ns"], nullptr);
  EXPECT_EQ(judged["latency"]["revocation_ns"][0], 23'100);  // signals still timed
}

TEST(TraceProbes, MissingMemoryFailureProbeSkips) {
  json obs = canned::observation();
  obs["trace"]["probes"][0]["ok"] = false;
  EXPECT_EQ(verdict_of(judge(obs), "memory_failure_traced"), "skip");
}

TEST(MemoryFailureTraced, UntracedPfnFails) {
  json obs = canned::observation();
  json kept = json::array();
  std::string dropped = fmt::format("{:#x}", canned::pfn_of(0, 5));
  for (const json& e : obs["trials"][0]["trace_events"])
    if (!(e["event"] == "memory_failure" && e["args"]["pfn"] == dropped)) kept.push_back(e);
  obs["trials"][0]["trace_events"] = kept;
  json o = oracle(judge(obs), "memory_failure_traced");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][1]["memory_failure_calls"], 0);
}

TEST(NotifyPathAggregate, SummedOverTrials) {
  json judged = judge(canned::observation());
  EXPECT_EQ(judged["notify_path"]["summary"], json({{"holder", 8}}));
  ASSERT_EQ(judged["notify_path"]["per_trial"].size(), 2u);
  EXPECT_EQ(judged["notify_path"]["per_trial"][1]["trial"], 1);
  EXPECT_EQ(judged["notify_path"]["per_trial"][1]["per_event"][0]["pfn"], canned::pfn_of(1, 4));

  json fallback = canned::observation();
  for (json& e : fallback["trials"][0]["trace_events"]) {
    if (e["event"] == "dax_holder_notify_failure_ret") e["args"]["ret"] = "-95";
    if (e["event"] == "xfs_dax_notify_failure" || e["event"] == "xfs_dax_notify_failure_ret") e["event"] = "other";
  }
  EXPECT_EQ(judge(fallback)["notify_path"]["summary"], json({{"generic-fallback", 4}, {"holder", 4}}));
}

TEST(Latency, PhasesFromSignalsInjectionAndTrace) {
  json latency = judge(canned::observation())["latency"];
  EXPECT_EQ(latency["revocation_ns"], json::array({23'100, 23'100}));
  const json& p = latency["phases"][1];
  EXPECT_EQ(p["trial"], 1);
  EXPECT_EQ(p["inject_to_first_signal_ns"], 20'000);
  EXPECT_EQ(p["inject_to_last_signal_ns"], 23'100);
  EXPECT_EQ(p["injection_duration_ns"], 5'000'000);
  EXPECT_EQ(p["memory_failure_first_ns"], 10'000);
  EXPECT_EQ(p["kernel_handling_ns"], 3'080);
}

TEST(Latency, MissingExpectedSignalGivesNullRevocation) {
  json obs = canned::observation();
  victim(obs, 0, "early-1")["signals"].erase(3);  // the last one
  json latency = judge(obs)["latency"];
  EXPECT_EQ(latency["revocation_ns"][0], nullptr);
  EXPECT_EQ(latency["revocation_ns"][1], 23'100);
  EXPECT_EQ(latency["phases"][0]["inject_to_last_signal_ns"], 23'000);  // of the ones that came
}

TEST(JudgeCell, StackFailureIsError) {
  json obs = canned::observation();
  obs["stack"]["ok"] = false;
  obs["stack"]["error"] = "ndctl create-namespace: exit 1";
  obs["trials"] = json::array();
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "error");
  EXPECT_EQ(judged["status"], "completed");
  EXPECT_EQ(judged["error"], "stack failed: ndctl create-namespace: exit 1");
  EXPECT_EQ(verdict_of(judged, "trials_completed"), "fail");
}

TEST(JudgeCell, MissingObservationIsError) {
  json judged = judge(nullptr);
  EXPECT_EQ(judged["verdict"], "error");
  EXPECT_EQ(judged["error"], "no observation");
  EXPECT_TRUE(judged["oracles"].empty());
  EXPECT_EQ(judged["latency"]["revocation_ns"], json::array());
  EXPECT_EQ(judged["id"], kIdentity.id);
}

TEST(JudgeCell, MalformedObservationNamesTheField) {
  json obs = canned::observation();
  victim(obs, 1, "late-0")["map_addr"] = "0x7f00";
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "error");
  std::string error = judged["error"];
  EXPECT_NE(error.find("/trials/1/victims/2/map_addr"), std::string::npos) << error;
  EXPECT_NE(error.find("non-negative integer"), std::string::npos) << error;
  EXPECT_EQ(judged["observation"], obs);

  json bad_trace = canned::observation();
  bad_trace["trials"][0]["trace_events"][0].erase("pid");
  EXPECT_NE(judge(bad_trace)["error"].get<std::string>().find("/trace_events/0/pid"), std::string::npos);
}

TEST(JudgeFailedCell, PanicInSerialTailGetsATitle) {
  std::string tail =
      "[   30.000000] Memory failure: 0x10027b: recovery action for dax page: Recovered\n"
      "[   30.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
      "[   30.100100] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
      "[   30.100200] ---[ end trace 0000000000000000 ]---\n"
      "[   30.100300] Kernel panic - not syncing: Fatal exception\n";
  json judged = judge_failed_cell(kIdentity, "hang", "no message from the agent for 60 s", tail);
  EXPECT_EQ(judged["verdict"], "error");
  EXPECT_EQ(judged["status"], "hang");
  EXPECT_EQ(judged["error"], "no message from the agent for 60 s");
  EXPECT_EQ(judged["id"], kIdentity.id);
  EXPECT_EQ(judged["observation"], nullptr);
  ASSERT_EQ(judged["kernel_problems"].size(), 2u);
  EXPECT_EQ(judged["kernel_problems"][0]["title"], "BUG: kernel NULL pointer dereference, address: 0000000000000008");
  EXPECT_EQ(judged["kernel_problems"][1]["title"], "Kernel panic - not syncing: Fatal exception");
  EXPECT_EQ(verdict_of(judged, "kernel_healthy"), "fail");
  EXPECT_EQ(judged["notify_path"]["summary"], json::object());

  json quiet = judge_failed_cell(kIdentity, "agent-error", "mkfs failed", "[ 1.0] all fine\n");
  EXPECT_TRUE(quiet["kernel_problems"].empty());
  EXPECT_EQ(verdict_of(quiet, "kernel_healthy"), "pass");
  EXPECT_EQ(quiet["verdict"], "error");
}

}  // namespace
}  // namespace poisonlab
