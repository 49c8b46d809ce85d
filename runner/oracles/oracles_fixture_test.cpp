// Real cells: observations the agent sent from the Debian 6.12 kernel
// (runner/oracles/testdata, copied from two runs' reports), judged again.
// Each test states the verdicts that data supports.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "oracles/canned_observation.h"
#include "oracles/oracles.h"

namespace poisonlab {
namespace {

using canned::oracle;
using nlohmann::json;

json load(const std::string& name) {
  std::string path = std::string(POISONLAB_SOURCE_DIR) + "/runner/oracles/testdata/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return json::parse(in);
}

json judge_fixture(const std::string& name) {
  json cell = load(name);
  return judge_cell(cell["spec"], cell["observation"]);
}

std::string verdict_of(const json& judged, const std::string& name) {
  json o = oracle(judged, name);
  return o.is_null() ? "absent" : o["verdict"].get<std::string>();
}

json mapper(const json& judged, const std::string& id) {
  json o = oracle(judged, "expected_victims");  // a copy: keep it alive over the loop
  for (const json& m : o["evidence"]["mappers"])
    if (m["victim"] == id) return m;
  return nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// XFS reflink=1 on raw pmem, madvise on victim pages 4 and 5, which the
// sharer shares. The kernel signalled the sharer's mapper and the injector;
// the victim file's early-kill mappers had no PTE for those pages when the
// poison came (pagemap_before) and got nothing.
TEST(Fixture, ReflinkMadviseMissesTheVictimFilesEarlyKillMappers) {
  json judged = judge_fixture("reflink-raw-madvise.json");
  ASSERT_EQ(judged["status"], "completed") << judged["error"];
  EXPECT_EQ(judged["verdict"], "fail");
  json o = oracle(judged, "expected_victims");
  EXPECT_EQ(o["verdict"], "fail");
  const json& unit = o["evidence"]["model"][0]["units"][0];
  EXPECT_EQ(unit["pfn"], "0x10021d");
  EXPECT_EQ(unit["backs"], json::array({{{"file", "victim"}, {"page", 4}}, {{"file", "sharer-0"}, {"page", 4}}}));
  json sharer = mapper(judged, "sharer-0-early-0");
  EXPECT_EQ(sharer["expected"].size(), 2u);
  EXPECT_TRUE(sharer["missed"].empty());
  json early = mapper(judged, "early-0");
  ASSERT_EQ(early["missed"].size(), 2u);
  EXPECT_EQ(early["missed"][0]["present_before"], false);
  EXPECT_TRUE(mapper(judged, "injector")["missed"].empty());  // BUS_MCEERR_AR for both pages
  EXPECT_TRUE(contains(o["summary"], "4 missed (4 on pages not mapped at injection time, 0 generated while one was pending: merged by the kernel), 0 spurious")) << o["summary"];

  EXPECT_EQ(verdict_of(judged, "mappings_revoked"), "pass");
  EXPECT_EQ(verdict_of(judged, "reaccess_safe"), "pass");  // software-only poison: reads recorded
  EXPECT_EQ(verdict_of(judged, "recovered_per_page"), "pass");
  EXPECT_EQ(verdict_of(judged, "soft_offline_refused"), "pass");
  EXPECT_EQ(verdict_of(judged, "data_outside_intact"), "pass");
  EXPECT_EQ(judged["notify_path"]["summary"], json({{"holder", 2}}));
  EXPECT_EQ(judged["notify_path"]["per_trial"][0]["per_event"][0]["flag_names"],
            json({"MF_COUNT_INCREASED", "MF_ACTION_REQUIRED", "MF_SW_SIMULATED"}));
  EXPECT_EQ(judged["latency"]["revocation_ns"], json::array({nullptr}));
}

// badblocks over the same pages: no memory_failure, no signal, no unmap;
// PTEs that were present stay present over the bad blocks and a re-access
// through one reads the stale data, while pread says EIO.
TEST(Fixture, ReflinkBadblocksLeavesPtesOverBadBlocks) {
  json judged = judge_fixture("reflink-raw-badblocks.json");
  ASSERT_EQ(judged["status"], "completed") << judged["error"];
  json revoked = oracle(judged, "mappings_revoked");
  EXPECT_EQ(revoked["verdict"], "fail");
  ASSERT_EQ(revoked["evidence"]["live"].size(), 4u);
  EXPECT_EQ(revoked["evidence"]["live"][0]["victim"], "early-0");
  EXPECT_EQ(revoked["evidence"]["live"][0]["pfn_after"], "0x10021d");

  json safe = oracle(judged, "reaccess_safe");
  EXPECT_EQ(safe["verdict"], "fail");
  EXPECT_EQ(safe["evidence"][0]["victim"], "early-0");
  EXPECT_EQ(safe["evidence"][0]["judgement"], "stale data served over a media error");
  EXPECT_EQ(safe["evidence"][0]["media_errors"][0]["range"], "232 16");
  EXPECT_EQ(safe["evidence"][1]["judgement"], "SIGBUS");

  EXPECT_EQ(verdict_of(judged, "pread_media_error"), "pass");
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(verdict_of(judged, "recovered_per_page"), "skip");
  EXPECT_EQ(verdict_of(judged, "memory_failure_traced"), "skip");
  EXPECT_EQ(verdict_of(judged, "fsck_clean"), "skip");  // xfs_repair read a bad sector
  EXPECT_TRUE(contains(oracle(judged, "fsck_clean")["summary"], "232 16"));
}

// hwpoison-pfn on the victim's inode chunk: XFS was told (holder), shut the
// file system down (xfs_force_shutdown, "Corruption of on-disk metadata",
// EIO on new writes) and returned -EFSCORRUPTED, which corrupt-pfn passed on.
TEST(Fixture, MetadataInodeChunkShutsRawXfsDown) {
  json judged = judge_fixture("reflink-raw-meta-inode.json");
  ASSERT_EQ(judged["status"], "completed") << judged["error"];
  json o = oracle(judged, "metadata_poison_handled");
  EXPECT_EQ(o["verdict"], "pass");
  const json& t = o["evidence"]["trials"][0];
  EXPECT_EQ(t["xfs_force_shutdown_events"].size(), 1u);
  EXPECT_EQ(t["fs_write_probe"]["errno"], 5);
  EXPECT_EQ(t["notify_path"][0]["class"], "holder-error");
  EXPECT_EQ(verdict_of(judged, "fs_not_shut_down"), "skip");
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");  // no file page backed by the unit
  EXPECT_EQ(verdict_of(judged, "mappings_revoked"), "skip");
  // Delivered: memory_failure ran and its -EFSCORRUPTED came back.
  json inj = oracle(judged, "injection_succeeded");
  EXPECT_EQ(inj["verdict"], "pass");
  EXPECT_EQ(inj["evidence"]["delivered_kernel_returned_error"][0]["errno"], 117);
  // The shut-down file system refuses every read: nothing to compare.
  json data = oracle(judged, "data_outside_intact");
  EXPECT_EQ(data["verdict"], "skip");
  EXPECT_EQ(data["evidence"]["refused_after_shutdown"].size(), 32u);
  EXPECT_EQ(verdict_of(judged, "fsck_clean"), "skip");  // xfs_repair -n on a dirty log, not replayed
}

// Unbinding the namespace under XFS on 6.12: a whole-device notification
// with MF_MEM_PRE_REMOVE reached XFS, which shut down; the late-kill mapper
// and the sharer's mapper got BUS_MCEERR_AO, the victim file's early-kill
// mappers only BUS_ADRERR from their own re-access afterwards.
TEST(Fixture, UnbindSendsPreRemoveToXfs) {
  json judged = judge_fixture("reflink-raw-unbind.json");
  ASSERT_EQ(judged["status"], "completed") << judged["error"];
  json o = oracle(judged, "unbind_observed");
  EXPECT_EQ(o["verdict"], "pass");
  const json& e = o["evidence"][0];
  EXPECT_EQ(e["reached_holder"], true);
  EXPECT_EQ(e["pre_remove"], true);
  EXPECT_EQ(e["whole_device_notifications"].size(), 2u);
  EXPECT_EQ(e["fs_write_probe"]["errno"], 5);
  EXPECT_EQ(e["pagemap_recorded"], false);
  EXPECT_TRUE(contains(o["summary"], "MF_MEM_PRE_REMOVE set (pre-remove)")) << o["summary"];

  json victims = oracle(judged, "expected_victims");
  EXPECT_EQ(victims["verdict"], "fail");
  EXPECT_EQ(mapper(judged, "early-0")["missed"].size(), 1u);
  EXPECT_EQ(mapper(judged, "early-0")["other_signals"][0]["code"], 2);
  EXPECT_TRUE(mapper(judged, "sharer-0-early-0")["missed"].empty());
  EXPECT_EQ(verdict_of(judged, "fsck_clean"), "skip");  // /dev/pmem0 was gone
  EXPECT_EQ(verdict_of(judged, "data_outside_intact"), "skip");
  EXPECT_EQ(verdict_of(judged, "fs_not_shut_down"), "skip");
  EXPECT_EQ(verdict_of(judged, "recovered_per_page"), "skip");
}

// A machine check (action optional) on dm-stripe: the ACPI NFIT handler put
// the range into pmem1's badblocks; memory_failure took the generic
// fallback (dm does not forward), both early-kill mappers were signalled,
// and every later access got SIGBUS or EIO.
TEST(Fixture, MceOnDmStripeSignalsAndRefusesReads) {
  json judged = judge_fixture("mce-dm-stripe.json");
  ASSERT_EQ(judged["status"], "completed") << judged["error"];
  EXPECT_EQ(judged["verdict"], "pass");
  json unit = oracle(judged, "expected_victims")["evidence"]["model"][0]["units"][0];
  EXPECT_EQ(unit["disk"], "pmem1");
  EXPECT_EQ(unit["disk_offset"], 53248);
  EXPECT_EQ(unit["fs_offset"], 118784);
  EXPECT_EQ(unit["media_errors"], json::array({"104 16"}));
  json safe = oracle(judged, "reaccess_safe");
  EXPECT_EQ(safe["verdict"], "pass");
  EXPECT_TRUE(contains(safe["summary"], "3 SIGBUS")) << safe["summary"];
  json pread = oracle(judged, "pread_media_error");
  EXPECT_EQ(pread["verdict"], "pass");
  EXPECT_EQ(pread["evidence"]["over_media_errors"][0]["errno"], 5);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  EXPECT_EQ(verdict_of(judged, "mappings_revoked"), "pass");
  EXPECT_EQ(judged["notify_path"]["summary"], json({{"generic-fallback", 2}}));
  EXPECT_EQ(verdict_of(judged, "fsck_clean"), "skip");  // media errors remain
  EXPECT_NE(judged["latency"]["revocation_ns"][0], nullptr);
}

// An action-required machine check while the consumer spun on the page in
// user mode: it is the current task and must get BUS_MCEERR_AR in the page,
// the early-kill mappers BUS_MCEERR_AO.
TEST(Fixture, ActionRequiredMachineCheckReachesTheConsumer) {
  json cell = load("mce-ar-raw.json");
  json judged = judge_cell(cell["spec"], cell["observation"]);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "pass");
  json consumer = mapper(judged, "consumer");
  ASSERT_EQ(consumer["expected"].size(), 2u);
  EXPECT_EQ(consumer["expected"][0]["code"], 4);
  EXPECT_TRUE(consumer["missed"].empty());
  // Without its signals the consumer counts as missed.
  for (auto& v : cell["observation"]["trials"][0]["victims"])
    if (v["id"] == "consumer") v["signals"] = json::array();
  judged = judge_cell(cell["spec"], cell["observation"]);
  EXPECT_EQ(verdict_of(judged, "expected_victims"), "fail");
  EXPECT_EQ(mapper(judged, "consumer")["missed"].size(), 2u);
}

}  // namespace
}  // namespace poisonlab
