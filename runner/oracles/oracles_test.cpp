#include "oracles/oracles.h"

#include <gtest/gtest.h>

#include <set>

#include "oracles/canned_observation.h"

namespace poisonlab {
namespace {

using canned::oracle;
using canned::victim;
using nlohmann::json;

const CellIdentity kIdentity{"debian-6.12/raw/xfs/madvise", "debian-6.12", "raw", "madvise", "xfs", "file"};

json judge(const json& obs, const json& spec = canned::cell_spec()) { return judge_cell(kIdentity, spec, obs); }

std::string verdict_of(const json& judged, const std::string& name) {
  json o = oracle(judged, name);
  return o.is_null() ? "absent" : o["verdict"].get<std::string>();
}

std::string summary_of(const json& judged, const std::string& name) {
  return oracle(judged, name)["summary"].get<std::string>();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The evidence entry of one mapper in expected_victims.
json mapper(const json& judged, int trial, const std::string& id) {
  json o = oracle(judged, "expected_victims");  // a copy: keep it alive over the loop
  for (const json& m : o["evidence"]["mappers"])
    if (m["trial"] == trial && m["victim"] == id) return m;
  return nullptr;
}

json ao_signal(int victim, uint64_t page, uint64_t time = 1) {
  return {{"signo", 7}, {"code", 5}, {"addr", canned::page_addr(victim, page)}, {"addr_lsb", 12}, {"time_ns", time}};
}

const std::set<std::string> kSkippedOnCanned = {"pread_media_error", "metadata_poison_handled", "unbind_observed",
                                                "cxl_poison_outcome"};

// ---------------------------------------------------------------------------
// The whole cell

TEST(JudgeCell, CannedObservationFailsNoOracle) {
  json judged = judge(canned::observation());
  EXPECT_EQ(judged["verdict"], "pass");
  EXPECT_EQ(judged["status"], "completed");
  EXPECT_EQ(judged["error"], nullptr);
  EXPECT_EQ(judged["id"], kIdentity.id);
  EXPECT_EQ(judged["filesystem"], "xfs");
  EXPECT_EQ(judged["observation"], canned::observation());
  ASSERT_EQ(judged["oracles"].size(), 22u);
  for (const json& o : judged["oracles"]) {
    std::string name = o["name"];
    EXPECT_EQ(o["verdict"], kSkippedOnCanned.count(name) ? "skip" : "pass") << o.dump(2);
    EXPECT_FALSE(o["summary"].get<std::string>().empty());
  }
}

TEST(JudgeCell, WithoutIdentity) {
  json judged = judge_cell(canned::cell_spec(), canned::observation());
  EXPECT_EQ(judged["verdict"], "pass");
  EXPECT_FALSE(judged.contains("id"));
}

TEST(JudgeCell, StackFailureIsError) {
  json obs = canned::observation();
  obs["stack"]["ok"] = false;
  obs["stack"]["error"] = "namespace: ndctl create-namespace: exit 1";
  obs["trials"] = json::array();
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "error");
  EXPECT_EQ(judged["error"], "stack failed: namespace: ndctl create-namespace: exit 1");
  EXPECT_EQ(verdict_of(judged, "trials_completed"), "fail");
}

TEST(JudgeCell, MissingObservationIsError) {
  json judged = judge(nullptr);
  EXPECT_EQ(judged["verdict"], "error");
  EXPECT_EQ(judged["error"], "no observation");
  EXPECT_TRUE(judged["oracles"].empty());
  EXPECT_EQ(judged["latency"]["revocation_ns"], json::array());
}

TEST(JudgeCell, MalformedObservationNamesTheField) {
  json obs = canned::observation();
  victim(obs, 1, "late-0")["map_addr"] = "0x7f00";
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "error");
  std::string error = judged["error"];
  EXPECT_TRUE(contains(error, "/trials/1/victims/2/map_addr")) << error;
  EXPECT_TRUE(contains(error, "non-negative integer")) << error;
  EXPECT_EQ(judged["observation"], obs);

  json bad_unit = canned::observation();
  bad_unit["trials"][0]["units"][1].erase("disk_offset");
  EXPECT_TRUE(contains(judge(bad_unit)["error"], "/trials/0/units/1/disk_offset"));

  json bad_checksum = canned::observation();
  bad_checksum["trials"][0]["checksums"]["before"]["victim"]["x"] = "00";
  EXPECT_TRUE(contains(judge(bad_checksum)["error"], "/trials/0/checksums/before/victim/x"));

  json bad_stack = canned::observation();
  bad_stack["stack"]["disks"] = json::array();
  EXPECT_TRUE(contains(judge(bad_stack)["error"], "/stack"));

  json bad_trace = canned::observation();
  bad_trace["trials"][0]["trace_events"][0].erase("pid");
  EXPECT_TRUE(contains(judge(bad_trace)["error"], "/trace_events/0/pid"));
}

TEST(JudgeFailedCell, PanicInSerialTailGetsATitle) {
  std::string tail =
      "[   30.100000] BUG: kernel NULL pointer dereference, address: 0000000000000001\n"
      "[   30.100100] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
      "[   30.100300] Kernel panic - not syncing: Fatal exception\n";
  json judged = judge_failed_cell(kIdentity, "hang", "no message from the agent for 60 s", tail);
  EXPECT_EQ(judged["verdict"], "error");
  EXPECT_EQ(judged["status"], "hang");
  ASSERT_EQ(judged["kernel_problems"].size(), 2u);
  EXPECT_EQ(verdict_of(judged, "kernel_healthy"), "fail");
  json quiet = judge_failed_cell(kIdentity, "agent-error", "mkfs failed", "[ 1.0] all fine\n");
  EXPECT_EQ(verdict_of(quiet, "kernel_healthy"), "pass");
}

// ---------------------------------------------------------------------------
// trials_completed, dax_active, kernel_healthy

TEST(TrialsCompleted, FewerTrialsOrAnAbortedTrialFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "trials_completed"), "pass");
  json obs = canned::observation();
  obs["trials"].erase(1);
  json o = oracle(judge(obs), "trials_completed");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["observed"], 1);
  EXPECT_EQ(o["evidence"]["wanted"], 2);

  json aborted = canned::observation();
  aborted["trials"][1]["injection"] = nullptr;
  aborted["trials"][1]["errors"] = {"trial aborted: the victim file does not cross a extent-boundary"};
  o = oracle(judge(aborted), "trials_completed");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["trials_without_injection"], json::array({1}));
}

// The runner builds specs from C++ ints (signed JSON numbers); a spec parsed
// from text holds unsigned ones. Both must count.
TEST(TrialsCompleted, SignedCountsInSpecAreRead) {
  json spec = canned::cell_spec();
  spec["trials"] = static_cast<int>(spec["trials"].get<int64_t>());
  ASSERT_TRUE(spec["trials"].is_number_integer() && !spec["trials"].is_number_unsigned());
  EXPECT_EQ(verdict_of(judge(canned::observation(), spec), "trials_completed"), "pass");
  json obs = canned::observation();
  obs["trials"].erase(1);
  EXPECT_EQ(verdict_of(judge(obs, spec), "trials_completed"), "fail");
}

TEST(DaxActive, StatxWithoutDaxFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "dax_active"), "pass");
  json obs = canned::observation();
  obs["stack"]["dax"]["statx_attr_dax"] = false;
  obs["kernel_log"].push_back("[ 9.0] XFS (pmem0): DAX unsupported by block device. Turning off DAX.");
  json o = oracle(judge(obs), "dax_active");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["kernel_messages"][0]["dax_enabled"], false);

  json file = canned::observation();
  file["trials"][1]["files"][1]["statx_attr_dax"] = false;
  o = oracle(judge(file), "dax_active");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["files_without_dax"][0]["file"], "sharer-0");
}

TEST(KernelHealthy, WarningInLogOrOopsTaintFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "kernel_healthy"), "pass");
  json obs = canned::observation();
  obs["kernel_log"].push_back("[   12.000000] ------------[ cut here ]------------");
  obs["kernel_log"].push_back(
      "[   12.000001] WARNING: CPU: 1 PID: 500 at mm/memory-failure.c:2204 memory_failure+0x3f/0x7e0");
  obs["kernel_log"].push_back("[   12.000002] Call Trace:");
  json o = oracle(judge(obs), "kernel_healthy");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["problems"][0]["title"], "WARNING in memory_failure");

  json tainted = canned::observation();
  tainted["kernel_taint"]["after"] = 0x80;
  o = oracle(judge(tainted), "kernel_healthy");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["taint"]["oops_during_cell"], true);

  json machine_check = canned::observation();
  machine_check["kernel_taint"]["after"] = 0x10;  // M: a machine check, not a kernel problem
  EXPECT_EQ(verdict_of(judge(machine_check), "kernel_healthy"), "pass");
}

// ---------------------------------------------------------------------------
// injection_succeeded

TEST(InjectionSucceeded, FailedStepReportsErrno) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "injection_succeeded"), "pass");
  json obs = canned::observation();
  json& step = obs["trials"][0]["injection"]["steps"][1];
  step["ret"] = -1;
  step["errno"] = 16;
  step["error"] = "madvise(MADV_HWPOISON): Device or resource busy";
  // The kernel logged nothing for the step: it never reached memory_failure.
  step["kernel_log"] = json::array();
  json o = oracle(judge(obs), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  ASSERT_EQ(o["evidence"]["failed"].size(), 1u);
  EXPECT_EQ(o["evidence"]["failed"][0]["errno"], 16);
  EXPECT_EQ(o["evidence"]["failed"][0]["first_unit"], 1);
  EXPECT_TRUE(contains(o["summary"], "Device or resource busy"));
  // With kernel lines it was delivered, and memory_failure's error is the kernel's answer.
  step["kernel_log"] = json::array({"[   13.7] Injecting memory failure for pfn 0x10021e at process virtual address 0x7f00"});
  o = oracle(judge(obs), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"]["delivered_kernel_returned_error"].size(), 1u);
  EXPECT_TRUE(contains(o["summary"], "answered 1 delivered step"));
}

TEST(InjectionSucceeded, MonitorRefusalAndHangFail) {
  json obs = canned::observation();
  obs["trials"][1]["injection"]["steps"][0]["host_reply"] = {
      {"ok", true}, {"output", "Guest CPU does not support MCA broadcast\r\n"}};
  json o = oracle(judge(obs), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["failed"][0]["problem"], "the monitor refused: Guest CPU does not support MCA broadcast");
  EXPECT_EQ(o["evidence"]["failed"][0]["reached_kernel"], false);

  json hung = canned::unbind_observation();
  json& step = hung["trials"][0]["injection"]["steps"][0];
  step["hung"] = true;
  step["ret"] = -1;
  step["error"] = "the unbind write did not return within 90 s";
  o = oracle(judge(hung, canned::unbind_spec()), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["failed"][0]["hung"], true);
}

TEST(InjectionSucceeded, TrialWithoutStepsFails) {
  json obs = canned::observation();
  obs["trials"][1]["injection"]["steps"] = json::array();
  json o = oracle(judge(obs), "injection_succeeded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["trials_without_steps"], json::array({1}));

  json aborted = canned::observation();
  for (json& t : aborted["trials"]) t["injection"] = nullptr;  // trials_completed fails for them
  EXPECT_EQ(verdict_of(judge(aborted), "injection_succeeded"), "skip");
}

// ---------------------------------------------------------------------------
// expected_victims: the model

TEST(ExpectedVictims, ModelFollowsTheStackAndTheReflink) {
  json judged = judge(canned::observation());
  json o = oracle(judged, "expected_victims");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_TRUE(contains(o["summary"], "32 of 32 expected SIGBUS received by 10 mapper(s)")) << o["summary"];
  const json& unit = o["evidence"]["model"][1]["units"][2];
  EXPECT_EQ(unit["pfn"], fmt::format("{:#x}", canned::pfn_of(1, 6)));
  EXPECT_EQ(unit["pfn_source"], "pfn_pagemap");  // madvise: the page the mappings showed
  EXPECT_EQ(unit["fs_offset"], canned::fs_offset_of(1, 6));
  EXPECT_EQ(unit["backs"], json::array({{{"file", "victim"}, {"page", 6}}, {{"file", "sharer-0"}, {"page", 6}}}));
  json sharer = mapper(judged, 0, "sharer-0-early-0");
  ASSERT_EQ(sharer["expected"].size(), 4u);
  EXPECT_EQ(sharer["expected"][0]["addr"], canned::page_addr(canned::kSharerEarly, 4));
  json injector = mapper(judged, 0, "injector");
  EXPECT_EQ(injector["expected"][0]["code"], 4);  // the current task: action required
  EXPECT_TRUE(mapper(judged, 0, "late-0").is_null());
}

TEST(ExpectedVictims, MissedSharerFails) {
  json obs = canned::observation();
  victim(obs, 1, "sharer-0-early-0")["signals"] = json::array();
  json judged = judge(obs);
  json o = oracle(judged, "expected_victims");
  EXPECT_EQ(o["verdict"], "fail");
  json sharer = mapper(judged, 1, "sharer-0-early-0");
  ASSERT_EQ(sharer["missed"].size(), 4u);
  EXPECT_EQ(sharer["missed"][0]["page"], 4);
  EXPECT_EQ(sharer["missed"][0]["present_before"], true);
  EXPECT_TRUE(mapper(judged, 1, "early-0")["missed"].empty());
  EXPECT_TRUE(contains(o["summary"], "28 of 32")) << o["summary"];
}

TEST(ExpectedVictims, SignalsMergedWhileOneWasPendingAreCounted) {
  // Burst poison: the kernel generated two SIGBUS while the mapper still had
  // one pending (signal_generate res=2); they never arrive. Still a miss,
  // but the summary says why.
  json obs = canned::observation();
  json& sharer = victim(obs, 1, "sharer-0-early-0");
  sharer["signals"].erase(3);
  sharer["signals"].erase(2);
  std::string pid = std::to_string(sharer["pid"].get<int64_t>());
  for (int i = 0; i < 2; ++i)
    obs["trials"][1]["trace_events"].push_back({{"time_ns", 1}, {"cpu", 0}, {"pid", 1}, {"comm", "k"},
                                                {"event", "signal_generate"},
                                                {"args", {{"sig", "7"}, {"pid", pid}, {"res", "2"}}}});
  json judged = judge(obs);
  json o = oracle(judged, "expected_victims");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_TRUE(contains(o["summary"], "2 missed (0 on pages not mapped at injection time, 2 generated while one was "
                                     "pending: merged by the kernel)"))
      << o["summary"];
  EXPECT_EQ(mapper(judged, 1, "sharer-0-early-0")["missed_generated_while_pending"], 2);
  EXPECT_EQ(mapper(judged, 1, "early-0")["missed_generated_while_pending"], 0);
}

TEST(ExpectedVictims, PageNotMappedAtInjectionIsCountedInTheSummary) {
  json obs = canned::observation();
  json& early = victim(obs, 0, "early-1");
  early["signals"].erase(0);
  early["pagemap_before"][0]["present"] = false;
  early["pagemap_before"][0]["pfn"] = nullptr;
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(mapper(judged, 0, "early-1")["missed"][0]["present_before"], false);
  EXPECT_TRUE(contains(summary_of(judged, "expected_victims"), "1 missed (1 on pages not mapped at injection time, 0 generated"));
}

TEST(ExpectedVictims, WrongAddressIsMissedAndSpurious) {
  json obs = canned::observation();
  victim(obs, 0, "early-1")["signals"][0]["addr"] = canned::page_addr(canned::kEarly1, 9);
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  json e = mapper(judged, 0, "early-1");
  ASSERT_EQ(e["missed"].size(), 1u);
  EXPECT_EQ(e["missed"][0]["page"], 4);
  ASSERT_EQ(e["spurious"].size(), 1u);
  EXPECT_EQ(e["spurious"][0]["page"], 9);
}

TEST(ExpectedVictims, AddressInsideThePageMatches) {
  json obs = canned::observation();
  victim(obs, 0, "early-0")["signals"][1]["addr"] = canned::page_addr(canned::kEarly0, 5) + 0x123;
  EXPECT_EQ(verdict_of(judge(obs), "expected_victims"), "pass");
}

TEST(ExpectedVictims, ActionRequiredInsteadOfActionOptionalIsMissed) {
  json obs = canned::observation();
  victim(obs, 0, "early-0")["signals"][3]["code"] = 4;
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  json e = mapper(judged, 0, "early-0");
  EXPECT_EQ(e["missed"][0]["page"], 7);
  EXPECT_EQ(e["other_signals"][0]["code"], 4);
  EXPECT_TRUE(e["spurious"].empty());
}

TEST(ExpectedVictims, ReaccessSignalsAreNotSpurious) {
  json obs = canned::observation();
  victim(obs, 0, "early-0")["signals"].push_back(
      {{"signo", 7}, {"code", 4}, {"addr", canned::page_addr(canned::kEarly0, 4)}, {"addr_lsb", 12}, {"time_ns", 9}});
  victim(obs, 0, "early-1")["signals"].push_back(
      {{"signo", 7}, {"code", 2}, {"addr", canned::page_addr(canned::kEarly1, 0)}, {"addr_lsb", 0}, {"time_ns", 9}});
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  EXPECT_EQ(mapper(judged, 0, "early-0")["other_signals"].size(), 1u);
  EXPECT_EQ(mapper(judged, 0, "early-1")["other_signals"].size(), 1u);
}

TEST(ExpectedVictims, ActionOptionalSignalForAnUnpoisonedPageIsSpurious) {
  json obs = canned::observation();
  victim(obs, 1, "early-0")["signals"].push_back(ao_signal(canned::kEarly0, 12));
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(mapper(judged, 1, "early-0")["spurious"][0]["page"], 12);
  // A second signal for a poisoned page is repeated, not spurious.
  json twice = canned::observation();
  json& signals = victim(twice, 0, "early-0")["signals"];
  signals.push_back(signals[0]);
  judged = judge(twice);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  EXPECT_EQ(mapper(judged, 0, "early-0")["repeated"].size(), 1u);
}

TEST(ExpectedVictims, InjectorWithoutActionRequiredFails) {
  json obs = canned::observation();
  victim(obs, 0, "injector")["signals"].erase(2);
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(mapper(judged, 0, "injector")["missed"][0]["page"], 6);
}

TEST(ExpectedVictims, UnitsOfAStepThatNeverRanAreNotExpected) {
  json obs = canned::observation();
  json& step = obs["trials"][1]["injection"]["steps"][3];
  step["ret"] = -1;
  step["error"] = "the injector did not answer (not running or hung)";
  step["kernel_log"] = json::array();  // the kernel saw nothing: the unit was not poisoned
  for (json& v : obs["trials"][1]["victims"]) {
    json kept = json::array();
    for (const json& s : v["signals"])
      if (s["time_ns"].get<uint64_t>() < canned::signal_time(1, 0, 7)) kept.push_back(s);
    v["signals"] = kept;
  }
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  EXPECT_EQ(oracle(judged, "expected_victims")["evidence"]["model"][1]["units"][3]["injected"], false);
  EXPECT_EQ(verdict_of(judged, "injection_succeeded"), "fail");
}

TEST(ExpectedVictims, DmLinearOffsetIsFollowed) {
  // The same file data 16 MiB into the disk through dm-linear: the pfns move,
  // the file pages they back do not.
  json obs = canned::observation();
  uint64_t shift = 16ull << 20;
  obs["stack"]["dm_table"] = "0 1015808 linear 259:0 32768";
  for (json& t : obs["trials"])
    for (json& u : t["units"])
      for (const char* key : {"pfn_computed", "pfn_pagemap", "pfn_kernel"})
        u[key] = u[key].get<uint64_t>() + shift / 4096;
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  json unit = oracle(judged, "expected_victims")["evidence"]["model"][0]["units"][0];
  EXPECT_EQ(unit["disk_offset"], canned::fs_offset_of(0, 4) + shift);
  EXPECT_EQ(unit["backs"][0], json({{"file", "victim"}, {"page", 4}}));
}

TEST(ExpectedVictims, SkippedWhenNothingWasInjected) {
  json obs = canned::observation();
  for (json& t : obs["trials"])
    for (json& s : t["injection"]["steps"]) s["host_reply"] = {{"ok", false}, {"error", "no monitor"}};
  EXPECT_EQ(verdict_of(judge(obs), "expected_victims"), "skip");
}

TEST(ExpectedVictims, EarlyKillVictimsAskedForButAbsentFail) {
  json obs = canned::observation();
  for (json& t : obs["trials"]) {
    json kept = json::array();
    for (json& v : t["victims"])
      if (v["role"] != "early-kill") kept.push_back(v);
    t["victims"] = kept;
  }
  json judged = judge(obs);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(oracle(judged, "expected_victims")["evidence"]["asked"], 2);
}

TEST(ExpectedVictims, UnbindNeedsOneSignalPerEarlyKillMapper) {
  json judged = judge(canned::unbind_observation(), canned::unbind_spec());
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  EXPECT_TRUE(contains(summary_of(judged, "expected_victims"), "3 of 3 expected"))
      << summary_of(judged, "expected_victims");

  json obs = canned::unbind_observation();
  json& early = victim(obs, 0, "early-1");
  early["signals"][0]["code"] = 2;  // its own re-access on the removed device, not a notification
  judged = judge(obs, canned::unbind_spec());
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(mapper(judged, 0, "early-1")["missed"][0]["page"], nullptr);
}

// ---------------------------------------------------------------------------
// si_addr_lsb, neighbour_untouched, late_kill_recorded

TEST(SiAddrLsb, WrongLsbFailsAndUnknownShiftSkips) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "si_addr_lsb"), "pass");
  json obs = canned::observation();
  victim(obs, 1, "early-1")["signals"][1]["addr_lsb"] = 21;
  json o = oracle(judge(obs), "si_addr_lsb");
  EXPECT_EQ(o["verdict"], "fail");
  bool found = false;
  for (const json& e : o["evidence"])
    if (e["victim"] == "early-1" && e["trial"] == 1) found = e["mismatches"][0]["addr_lsb"] == 21;
  EXPECT_TRUE(found);

  json unknown = canned::observation();
  for (json& t : unknown["trials"])
    for (json& v : t["victims"]) v["mapping_page_shift"] = nullptr;
  EXPECT_EQ(verdict_of(judge(unknown), "si_addr_lsb"), "skip");
}

TEST(SiAddrLsb, NonMachineCheckSigbusIsNotChecked) {
  json obs = canned::observation();
  victim(obs, 0, "early-0")["signals"].push_back(
      {{"signo", 7}, {"code", 2}, {"addr", canned::page_addr(canned::kEarly0, 4)}, {"addr_lsb", 0}, {"time_ns", 1}});
  EXPECT_EQ(verdict_of(judge(obs), "si_addr_lsb"), "pass");
}

TEST(NeighbourUntouched, SignalledNeighbourFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "neighbour_untouched"), "pass");
  json obs = canned::observation();
  victim(obs, 0, "neighbour-0")["signals"].push_back(ao_signal(canned::kNeighbour, 8));
  json o = oracle(judge(obs), "neighbour_untouched");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["action_optional_signals"][0]["page"], 8);
}

TEST(NeighbourUntouched, PageLostFailsPageAbsentBeforeDoesNot) {
  json obs = canned::observation();
  victim(obs, 1, "neighbour-0")["pagemap_after"][2]["present"] = false;
  json o = oracle(judge(obs), "neighbour_untouched");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][1]["pages_lost"], json::array({10}));

  json absent = canned::observation();
  json& n = victim(absent, 1, "neighbour-0");
  n["pagemap_before"][2]["present"] = false;
  n["pagemap_after"][2]["present"] = false;
  o = oracle(judge(absent), "neighbour_untouched");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"][1]["pages_not_present_before"], json::array({10}));
}

TEST(LateKillRecorded, ReportsPteStateAndFailsWhenNotRecorded) {
  json o = oracle(judge(canned::observation()), "late_kill_recorded");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_TRUE(contains(o["summary"], "0 present, 8 not present, 0 not recorded")) << o["summary"];

  json obs = canned::observation();
  victim(obs, 0, "late-0")["pagemap_after"].erase(3);
  victim(obs, 1, "late-0")["pagemap_after"][0]["present"] = nullptr;
  o = oracle(judge(obs), "late_kill_recorded");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["missing_pages"], json::array({7}));
  EXPECT_EQ(o["evidence"][1]["missing_pages"], json::array({4}));
}

// ---------------------------------------------------------------------------
// mappings_revoked

TEST(MappingsRevoked, LiveMappingOverAPoisonedPageFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "mappings_revoked"), "pass");
  json obs = canned::observation();
  json& late = victim(obs, 1, "late-0");
  late["pagemap_after"][1] = {{"file_page", 5}, {"present", true}, {"pfn", canned::pfn_of(1, 5)}};
  json o = oracle(judge(obs), "mappings_revoked");
  EXPECT_EQ(o["verdict"], "fail");
  ASSERT_EQ(o["evidence"]["live"].size(), 1u);
  EXPECT_EQ(o["evidence"]["live"][0]["victim"], "late-0");
  EXPECT_EQ(o["evidence"]["live"][0]["file_page"], 5);
  EXPECT_EQ(o["evidence"]["live"][0]["pfn_after"], fmt::format("{:#x}", canned::pfn_of(1, 5)));
}

TEST(MappingsRevoked, SignalledOrNotMappedBeforeIsNotLive) {
  json obs = canned::observation();
  json& early = victim(obs, 0, "early-0");
  early["pagemap_after"][0] = {
      {"file_page", 4}, {"present", true}, {"pfn", canned::pfn_of(0, 4)}};  // still mapped, but told
  json& late = victim(obs, 0, "late-0");
  late["pagemap_before"][2]["present"] = false;
  late["pagemap_after"][2] = {{"file_page", 6}, {"present", true}, {"pfn", canned::pfn_of(0, 6)}};  // faulted in later
  json o = oracle(judge(obs), "mappings_revoked");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"]["not_mapped_at_injection"][0]["victim"], "late-0");
  EXPECT_TRUE(contains(o["summary"], "1 signalled but still mapped")) << o["summary"];
}

TEST(MappingsRevoked, SkippedWithoutPoisonedFilePages) {
  json judged = judge(canned::metadata_observation(), canned::metadata_spec());
  EXPECT_EQ(verdict_of(judged, "mappings_revoked"), "skip");
}

// ---------------------------------------------------------------------------
// reaccess_no_hang, reaccess_safe, pread_media_error, data_outside_intact

// Adds "sector 8" media-error lines over every poisoned unit of a trial.
void add_media_errors(json& obs, int trial) {
  json lines = json::array();
  for (const json& u : obs["trials"][trial]["units"])
    lines.push_back(fmt::format("{} 8", u["disk_offset"].get<uint64_t>() / 512));
  obs["trials"][trial]["badblocks"]["after"]["pmem0"] = lines;
}

TEST(ReaccessNoHang, TimeoutFailsDisabledSkips) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "reaccess_no_hang"), "pass");
  json obs = canned::observation();
  victim(obs, 1, "late-0")["reaccess"]["outcome"] = "timeout";
  EXPECT_EQ(verdict_of(judge(obs), "reaccess_no_hang"), "fail");
  json spec = canned::cell_spec();
  spec["reaccess"] = false;
  EXPECT_EQ(verdict_of(judge(obs, spec), "reaccess_no_hang"), "skip");
}

TEST(ReaccessSafe, ReadOverSoftwarePoisonIsRecordedNotFailed) {
  json o = oracle(judge(canned::observation()), "reaccess_safe");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_TRUE(contains(o["summary"], "10 read over software-only poison")) << o["summary"];
}

TEST(ReaccessSafe, ReadOverAMediaErrorFailsSigbusPasses) {
  json obs = canned::observation();
  add_media_errors(obs, 0);
  json o = oracle(judge(obs), "reaccess_safe");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["judgement"], "stale data served over a media error");
  EXPECT_EQ(o["evidence"][0]["media_errors"][0]["range"], fmt::format("{} 8", canned::fs_offset_of(0, 4) / 512));

  for (json& v : obs["trials"][0]["victims"])
    v["reaccess"] = {{"done", true}, {"outcome", "sigbus"}, {"file_page", v["reaccess"]["file_page"]}, {"code", 4}};
  EXPECT_EQ(verdict_of(judge(obs), "reaccess_safe"), "pass");
}

TEST(ReaccessSafe, WrongDataFails) {
  json obs = canned::observation();
  victim(obs, 1, "early-1")["reaccess"]["data_matches"] = false;
  EXPECT_EQ(verdict_of(judge(obs), "reaccess_safe"), "fail");
}

TEST(PreadMediaError, FullReadOverAMediaErrorFailsEioPasses) {
  json obs = canned::observation();
  add_media_errors(obs, 1);
  json o = oracle(judge(obs), "pread_media_error");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["over_media_errors"].size(), 8u);  // both files share the pages
  for (json& p : obs["trials"][1]["pread"]) {
    p["bytes"] = -1;
    p["errno"] = 5;
  }
  o = oracle(judge(obs), "pread_media_error");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"]["over_media_errors"][0]["error"], "Input/output error");
}

TEST(DataOutsideIntact, ChangedOrUnreadablePageFails) {
  json o = oracle(judge(canned::observation()), "data_outside_intact");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"]["poisoned_pages_skipped"], 16);
  EXPECT_EQ(o["evidence"]["intact"], 48);

  json obs = canned::observation();
  obs["trials"][0]["checksums"]["after"]["sharer-0"]["9"] = "ffffffffffffffff";
  obs["trials"][1]["checksums"]["after"]["victim"]["0"] = "error: Input/output error";
  o = oracle(judge(obs), "data_outside_intact");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["changed"][0]["file"], "sharer-0");
  EXPECT_EQ(o["evidence"]["changed"][0]["page"], 9);
  EXPECT_EQ(o["evidence"]["unreadable"][0]["page"], 0);
}

TEST(DataOutsideIntact, UnbindSkips) {
  EXPECT_EQ(verdict_of(judge(canned::unbind_observation(), canned::unbind_spec()), "data_outside_intact"), "skip");
}

// ---------------------------------------------------------------------------
// pfn_arithmetic, recovered_per_page, memory_failure_traced

TEST(PfnArithmetic, MismatchIsListed) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "pfn_arithmetic"), "pass");
  json obs = canned::observation();
  json& unit = obs["trials"][1]["units"][2];
  unit["pfn_pagemap"] = unit["pfn_computed"].get<uint64_t>() + 1;
  unit["pfn_kernel"] = nullptr;  // not printed: not compared
  json o = oracle(judge(obs), "pfn_arithmetic");
  EXPECT_EQ(o["verdict"], "fail");
  ASSERT_EQ(o["evidence"]["mismatches"].size(), 1u);
  EXPECT_EQ(o["evidence"]["mismatches"][0]["file_page"], 6);
  EXPECT_EQ(o["evidence"]["mismatches"][0]["differ"], json::array({"pfn_pagemap"}));
  EXPECT_EQ(o["evidence"]["comparisons"], 31);
}

TEST(PfnArithmetic, StackDisagreeingWithTheUnitFails) {
  json obs = canned::observation();
  obs["stack"]["disks"][0]["layout"]["data_start"] = canned::kDataStart + 0x1000;
  json o = oracle(judge(obs), "pfn_arithmetic");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["mismatches"][0]["differ"], json::array({"pfn_stack"}));
}

TEST(RecoveredPerPage, FailedRecoveryFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "recovered_per_page"), "pass");
  json obs = canned::observation();
  std::string& line = obs["trials"][0]["kernel_log"][3].get_ref<std::string&>();
  line.replace(line.find("Recovered"), 9, "Failed");
  json o = oracle(judge(obs), "recovered_per_page");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"]["units"][1]["recovered"], false);
  EXPECT_EQ(o["evidence"]["units"][1]["recovery_results"][0]["result"], "Failed");
  EXPECT_TRUE(contains(o["summary"], "7 of 8"));
}

TEST(RecoveredPerPage, SkipsMethodsWithoutMemoryFailureAndUnitsWithoutFileData) {
  json spec = canned::cell_spec();
  spec["injection"]["method"] = "badblocks";
  json obs = canned::observation();
  for (json& t : obs["trials"]) t["injection"]["method"] = "badblocks";
  json judged = judge(obs, spec);
  EXPECT_EQ(verdict_of(judged, "recovered_per_page"), "skip");
  EXPECT_TRUE(contains(summary_of(judged, "recovered_per_page"), "badblocks does not call memory_failure"));
  EXPECT_EQ(verdict_of(judged, "memory_failure_traced"), "skip");

  judged = judge(canned::metadata_observation(), canned::metadata_spec());
  EXPECT_EQ(verdict_of(judged, "recovered_per_page"), "skip");
  EXPECT_EQ(summary_of(judged, "recovered_per_page"), "no injected unit backs file data");
}

TEST(MemoryFailureTraced, UntracedPfnFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "memory_failure_traced"), "pass");
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

TEST(MemoryFailureTraced, TraceDisabledOrProbeMissingSkips) {
  json obs = canned::observation();
  obs["trace"]["probes"][0]["ok"] = false;
  EXPECT_EQ(verdict_of(judge(obs), "memory_failure_traced"), "skip");
  obs["trace"] = {{"enabled", false}, {"probes", json::array()}};
  for (json& t : obs["trials"]) t["trace_events"] = json::array();
  json judged = judge(obs);
  EXPECT_EQ(judged["verdict"], "pass");
  EXPECT_EQ(verdict_of(judged, "memory_failure_traced"), "skip");
  EXPECT_TRUE(judged["notify_path"]["summary"].empty());
  EXPECT_EQ(judged["latency"]["revocation_ns"][0], 23'500);  // signals are still timed
}

// ---------------------------------------------------------------------------
// metadata_poison_handled, fs_not_shut_down

TEST(MetadataPoisonHandled, ShutdownPassesAndNoShutdownFailsWithTheNotifyPath) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "metadata_poison_handled"), "skip");
  json judged = judge(canned::metadata_observation(), canned::metadata_spec());
  json o = oracle(judged, "metadata_poison_handled");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"]["trials"][0]["notify_path"][0]["class"], "holder");
  EXPECT_EQ(verdict_of(judged, "fs_not_shut_down"), "skip");
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");  // no file page was poisoned: nobody to signal

  // Through dm the file system is never told: no shutdown, generic fallback.
  json obs = canned::metadata_observation();
  for (json& t : obs["trials"]) {
    json kept = json::array();
    for (json& e : t["trace_events"]) {
      if (e["event"] == "xfs_force_shutdown" || e["event"] == "xfs_dax_notify_failure" ||
          e["event"] == "xfs_dax_notify_failure_ret")
        continue;
      if (e["event"] == "dax_holder_notify_failure_ret") e["args"]["ret"] = "-95";
      kept.push_back(e);
    }
    t["trace_events"] = kept;
    t["kernel_log"] = json::array();
    t["injection"]["steps"][0]["kernel_log"] = json::array({"[ 1.0] Injecting memory failure at pfn 0x100210"});
    t["fs_write_probe"] = {{"ok", true}, {"errno", 0}};
  }
  obs["kernel_log"] = json::array();
  o = oracle(judge(obs, canned::metadata_spec()), "metadata_poison_handled");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_TRUE(contains(o["summary"], "generic-fallback x2: the file system was never told")) << o["summary"];
}

TEST(MetadataPoisonHandled, WriteProbeEioAloneCounts) {
  json obs = canned::metadata_observation();
  for (json& t : obs["trials"]) {
    json kept = json::array();
    for (json& e : t["trace_events"])
      if (e["event"] != "xfs_force_shutdown") kept.push_back(e);
    t["trace_events"] = kept;
    t["kernel_log"] = json::array({"[ 1.0] Injecting memory failure at pfn 0x100210"});
  }
  obs["kernel_log"] = json::array();
  EXPECT_EQ(verdict_of(judge(obs, canned::metadata_spec()), "metadata_poison_handled"), "pass");
}

TEST(FsNotShutDown, ShutdownMessageTraceEventOrUmountFailureFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "fs_not_shut_down"), "pass");
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
  EXPECT_EQ(oracle(judge(umount), "fs_not_shut_down")["evidence"]["umount_error"], "EBUSY");
  EXPECT_EQ(verdict_of(judge(umount), "fs_not_shut_down"), "fail");
}

// ---------------------------------------------------------------------------
// unbind_observed

TEST(UnbindObserved, PreRemoveIsDecodedAndRecorded) {
  json judged = judge(canned::unbind_observation(), canned::unbind_spec());
  json o = oracle(judged, "unbind_observed");
  EXPECT_EQ(o["verdict"], "pass");
  const json& e = o["evidence"][0];
  EXPECT_EQ(e["reached_holder"], true);
  EXPECT_EQ(e["pre_remove"], true);
  EXPECT_EQ(e["whole_device_notifications"][1]["flags"]["names"], json::array({"MF_MEM_PRE_REMOVE"}));
  EXPECT_EQ(e["fs_write_probe"]["errno"], 5);
  EXPECT_EQ(e["pagemap_recorded"], false);
  EXPECT_TRUE(contains(o["summary"], "MF_MEM_PRE_REMOVE set (pre-remove)")) << o["summary"];
  EXPECT_TRUE(contains(o["summary"], "4 of 4 mapper(s) got a machine-check SIGBUS")) << o["summary"];
  EXPECT_EQ(verdict_of(judged, "fs_not_shut_down"), "skip");
  EXPECT_EQ(verdict_of(judged, "fsck_clean"), "skip");  // the device was gone
  EXPECT_EQ(judged["verdict"], "pass");
}

TEST(UnbindObserved, Kernel61FlagsAndAnEnumWithoutTheNameAreRecordedNotJudged) {
  json obs = canned::unbind_observation();
  for (json& e : obs["trials"][0]["trace_events"])
    if (e["args"].contains("flags")) e["args"]["flags"] = "0x0";
  json o = oracle(judge(obs, canned::unbind_spec()), "unbind_observed");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_EQ(o["evidence"][0]["pre_remove"], false);
  EXPECT_TRUE(contains(o["summary"], "MF_MEM_PRE_REMOVE not set"));

  obs["kernel_enums"]["mf_flags"].erase("MF_MEM_PRE_REMOVE");
  o = oracle(judge(obs, canned::unbind_spec()), "unbind_observed");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_TRUE(contains(o["summary"], "this kernel's enum mf_flags has no MF_MEM_PRE_REMOVE")) << o["summary"];
}

TEST(UnbindObserved, HangOrLiveMappingFails) {
  json hung = canned::unbind_observation();
  hung["trials"][0]["injection"]["steps"][0]["hung"] = true;
  EXPECT_EQ(verdict_of(judge(hung, canned::unbind_spec()), "unbind_observed"), "fail");

  json live = canned::unbind_observation();
  victim(live, 0, "late-0")["pagemap_after"] = {{{"file_page", 3}, {"present", true}, {"pfn", 0x100200}}};
  json o = oracle(judge(live, canned::unbind_spec()), "unbind_observed");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_EQ(o["evidence"][0]["live_mappings"][0]["victim"], "late-0");
}

// ---------------------------------------------------------------------------
// soft_offline_refused, fsck_clean

TEST(SoftOfflineRefused, AcceptedSoftOfflineFails) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "soft_offline_refused"), "pass");
  json obs = canned::observation();
  obs["trials"][0]["soft_offline"]["ret"] = 0;
  obs["trials"][0]["soft_offline"]["errno"] = 0;
  EXPECT_EQ(verdict_of(judge(obs), "soft_offline_refused"), "fail");
  obs["trials"][0]["soft_offline"] = nullptr;
  EXPECT_EQ(verdict_of(judge(obs), "soft_offline_refused"), "skip");
}

TEST(FsckClean, NotCleanFailsMediaErrorsAndSkippedCheckSkip) {
  EXPECT_EQ(verdict_of(judge(canned::observation()), "fsck_clean"), "pass");
  json obs = canned::observation();
  obs["teardown"]["fsck"]["clean"] = false;
  obs["teardown"]["fsck"]["runs"][0]["exit_code"] = 1;
  obs["teardown"]["fsck"]["runs"][0]["output_tail"] = "agi unlinked bucket 5 is 133 in ag 0 (inode=133)\n";
  json o = oracle(judge(obs), "fsck_clean");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_TRUE(contains(o["summary"], "agi unlinked bucket")) << o["summary"];

  json media = obs;
  media["teardown"]["region_badblocks"]["region0"] = {"4328 16"};
  o = oracle(judge(media), "fsck_clean");
  EXPECT_EQ(o["verdict"], "skip");
  EXPECT_TRUE(contains(o["summary"], "reads of bad sectors fail"));

  json skipped = canned::observation();
  skipped["teardown"]["fsck"] = {{"runs", json::array()}, {"clean", nullptr}, {"skipped", "/dev/pmem0 is gone"}};
  EXPECT_EQ(verdict_of(judge(skipped), "fsck_clean"), "skip");

  json dirty = obs;
  dirty["teardown"]["fsck"]["runs"][0]["output_tail"] = "ALERT: The filesystem has valuable metadata changes in a log";
  EXPECT_EQ(verdict_of(judge(dirty), "fsck_clean"), "skip");
  dirty["teardown"]["fsck"]["log_replay"] = "mount failed: bad superblock";
  EXPECT_EQ(verdict_of(judge(dirty), "fsck_clean"), "fail");
}

// ---------------------------------------------------------------------------
// notify path and latency

TEST(NotifyPathAggregate, SummedOverTrialsWithFlagNames) {
  json judged = judge(canned::observation());
  EXPECT_EQ(judged["notify_path"]["summary"], json({{"holder", 8}}));
  ASSERT_EQ(judged["notify_path"]["per_trial"].size(), 2u);
  const json& event = judged["notify_path"]["per_trial"][1]["per_event"][0];
  EXPECT_EQ(event["pfn"], canned::pfn_of(1, 4));
  EXPECT_EQ(event["flag_names"], json({"MF_COUNT_INCREASED", "MF_ACTION_REQUIRED", "MF_SW_SIMULATED"}));

  json fallback = canned::observation();
  for (json& e : fallback["trials"][0]["trace_events"]) {
    if (e["event"] == "dax_holder_notify_failure_ret") e["args"]["ret"] = "-95";
    if (e["event"] == "xfs_dax_notify_failure" || e["event"] == "xfs_dax_notify_failure_ret") e["event"] = "other";
  }
  EXPECT_EQ(judge(fallback)["notify_path"]["summary"], json({{"generic-fallback", 4}, {"holder", 4}}));
}

TEST(Latency, RevocationIsTheLastExpectedEarlyKillSignal) {
  json latency = judge(canned::observation())["latency"];
  // The injector's action-required signals (victim 4) are not revocations.
  EXPECT_EQ(latency["revocation_ns"], json::array({23'500, 23'500}));
  const json& p = latency["phases"][1];
  EXPECT_EQ(p["trial"], 1);
  EXPECT_EQ(p["inject_to_first_signal_ns"], 20'000);
  EXPECT_EQ(p["inject_to_last_signal_ns"], 23'500);
  EXPECT_EQ(p["injection_duration_ns"], 5'000'000);
  EXPECT_EQ(p["memory_failure_first_ns"], 10'000);
  EXPECT_EQ(p["kernel_handling_ns"], 3'080);
}

TEST(Latency, TraceTimelineOfTheFirstAndLastPage) {
  json obs = canned::observation();
  // Give every memory failure an unmap return and a generated signal.
  json& events = obs["trials"][1]["trace_events"];
  json extra = json::array();
  for (const json& e : events)
    if (e["event"] == "unmap_mapping_range") {
      json ret = e, sig = e;
      ret["event"] = "unmap_mapping_range_ret", ret["time_ns"] = e["time_ns"].get<uint64_t>() + 5;
      sig["event"] = "signal_generate", sig["time_ns"] = e["time_ns"].get<uint64_t>() + 8;
      sig["args"] = {{"sig", "7"}, {"code", "5"}, {"pid", "-1"}};  // aimed at nobody we know
      extra.push_back(ret), extra.push_back(sig);
    }
  // One generated signal for the first early-kill mapper, 300 ns before its
  // first machine-check SIGBUS arrived.
  const json& mapper = canned::victim(obs, 1, "sharer-0-early-0");
  uint64_t arrived = mapper["signals"][0]["time_ns"].get<uint64_t>();
  extra.push_back({{"time_ns", arrived - 300}, {"cpu", 0}, {"pid", 1}, {"comm", "k"}, {"event", "signal_generate"},
                   {"args", {{"sig", "7"}, {"pid", std::to_string(mapper["pid"].get<int64_t>())}}}});
  for (const json& e : extra) events.push_back(e);
  json judged = judge(obs);
  const json& p = judged["latency"]["phases"][1];
  EXPECT_EQ(p["memory_failure_to_notify_ns"], 20);  // memory_failure +0, dax_holder_notify_failure +20
  EXPECT_EQ(p["notify_to_unmap_done_ns"], 35);      // unmap at +50 returns at +55
  EXPECT_EQ(p["unmap_done_to_signal_generated_ns"], 3);
  const json& first = p["timeline"]["first_page"];
  EXPECT_EQ(first["memory_failure_ns"], p["memory_failure_first_ns"]);
  EXPECT_EQ(first["notify_ns"].get<int64_t>() - first["memory_failure_ns"].get<int64_t>(), 20);
  const json& last = p["timeline"]["last_page"];
  EXPECT_GT(last["memory_failure_ns"].get<int64_t>(), first["memory_failure_ns"].get<int64_t>());
  EXPECT_EQ(p["timeline"]["last_signal_received_ns"], 23'500);
  EXPECT_EQ(p["signals_paired_with_trace"], 1);
  EXPECT_EQ(p["signal_generated_to_received_ns"], 300);
  EXPECT_EQ(p["signal_generated_to_received_max_ns"], 300);
  // Without the extra probes those phases are unknown, not zero.
  json bare_judged = judge(canned::observation());
  const json& bare = bare_judged["latency"]["phases"][1];
  EXPECT_EQ(bare["memory_failure_to_notify_ns"], 20);
  EXPECT_TRUE(bare["notify_to_unmap_done_ns"].is_null());
  EXPECT_TRUE(bare["signal_generated_to_received_ns"].is_null());
}

TEST(Latency, MissingExpectedSignalGivesNullRevocation) {
  json obs = canned::observation();
  victim(obs, 0, "sharer-0-early-0")["signals"].erase(3);  // the last one
  json latency = judge(obs)["latency"];
  EXPECT_EQ(latency["revocation_ns"][0], nullptr);
  EXPECT_EQ(latency["revocation_ns"][1], 23'500);
  EXPECT_EQ(latency["phases"][0]["inject_to_last_signal_ns"], 23'100);  // of the ones that came
}

TEST(Latency, UnbindCountsOneSignalPerEarlyKillMapper) {
  json latency = judge(canned::unbind_observation(), canned::unbind_spec())["latency"];
  EXPECT_EQ(latency["revocation_ns"], json::array({10'005'000}));
}

}  // namespace
}  // namespace poisonlab
