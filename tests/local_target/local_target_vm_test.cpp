// vm.local-target (issue 7): `poisonlab run --target local` inside a real
// guest, whose emulated NVDIMMs play a lab machine's pmem. The VM's "agent"
// is guest_script.sh: it makes fsdax namespaces with ndctl, runs cells on
// /dev/pmem0 through the local target, then four runs that must be refused
// (a device not allowed, an XFS signature without --force, a mounted device
// even with --force, a physical target in System RAM), writing every exit
// status and output to the run directory's guest/ folder. This test boots
// the VM, waits for it to power off and asserts on what the guest wrote.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "kernel/kernel.h"
#include "kernel/kernel_cache.h"
#include "kernel/variant_registry.h"
#include "target/qemu/qemu_target.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKernel = "debian-6.12";
constexpr uint64_t kMiB = 1ull << 20;

// Scenarios the guest runs (written into the guest share before boot).
const std::map<std::string, json>& scenarios() {
  static const std::map<std::string, json> all = [] {
    json base = {{"kernels", {kKernel}}, {"stacks", {{{"type", "raw"}}}}, {"files", {{"pages", 16}}},
                 {"victims", {{"early_kill", 2}, {"late_kill", 1}, {"neighbour", 1}}}, {"trials", 1}};
    auto with = [&](const std::string& name, json injections) {
      json s = base;
      s["name"] = name;
      s["description"] = "vm.local-target: " + name;
      s["injections"] = std::move(injections);
      return s;
    };
    auto file_injection = [](const char* method, int pages) {
      return json{{"method", method}, {"offset_pages", 4}, {"pages", pages}, {"settle_ms", 1000}};
    };
    return std::map<std::string, json>{
        {"local-methods.json", with("local-methods", {file_injection("madvise", 2), file_injection("hwpoison-pfn", 2),
                                                      file_injection("ndctl-inject-error", 1), file_injection("einj", 1),
                                                      file_injection("mce", 1)})},
        {"local-madvise.json", with("local-madvise", {file_injection("madvise", 1)})},
        // 16 MiB: System RAM in any guest with more than that.
        {"local-system-ram.json",
         with("local-system-ram", {{{"method", "hwpoison-pfn"}, {"pages", 1}, {"settle_ms", 500},
                                    {"target", {{"space", "physical"}, {"address", 16 * kMiB}}}}})}};
  }();
  return all;
}

std::map<std::string, int> read_statuses(const fs::path& rc_file) {
  std::map<std::string, int> out;
  std::istringstream in(poisonlab::read_file(rc_file));
  std::string name;
  int status;
  while (in >> name >> status) out[name] = status;
  return out;
}

std::string read_if(const fs::path& path) { return fs::exists(path) ? poisonlab::read_file(path) : ""; }

const json& find_cell(const json& report, const std::string& method) {
  for (const auto& c : report.at("cells"))
    if (c.at("method") == method) return c;
  throw std::runtime_error("no cell for method " + method);
}

// The local target's describe() in the report: in the kernel entry, or in
// the kernel file beside the report when kernel entries are kept apart.
json target_description(const fs::path& report_dir, const json& report) {
  const json& kernel = report.at("kernels").at(0);
  if (kernel.contains("target")) return kernel.at("target");
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(report_dir, ec)) {
    if (e.path().extension() != ".json" || e.path().filename() == "report.json") continue;
    json doc = json::parse(poisonlab::read_file(e.path()), nullptr, false);
    if (doc.is_object() && doc.contains("target") && doc["target"].is_object()) return doc["target"];
  }
  return nullptr;
}

std::string verdict(const json& cell, const std::string& oracle) {
  for (const auto& o : cell.at("oracles"))
    if (o.at("name") == oracle) return o.at("verdict");
  return "absent";
}

// A hard link when the folder is on the same file system, else a copy.
void share_program(const fs::path& program, const fs::path& dir) {
  std::error_code linked;
  fs::create_hard_link(program, dir / program.filename(), linked);
  if (linked) fs::copy_file(program, dir / program.filename(), fs::copy_options::overwrite_existing);
}

class LocalTargetInGuest : public ::testing::Test {
 protected:
  // Boots once for every test of the suite.
  static void SetUpTestSuite() {
    poisonlab::VariantRegistry registry =
        poisonlab::VariantRegistry::load(fs::path(POISONLAB_SOURCE_DIR) / "kernel-config" / "variants.json");
    auto artifacts = poisonlab::prepare_variant(registry, kKernel, poisonlab::KernelCache::from_environment(), std::cout);
    vm_dir_ = new fs::path(fs::current_path() / "vm-test-runs" / "local-target");
    fs::remove_all(*vm_dir_);
    script_dir_ = new poisonlab::TempDir("local-target-guest");
    // The guest sees the host root read-only, but with a tmpfs of its own on
    // /tmp: a build under /tmp (a CI clone) is not there. The binaries go
    // into the script's folder, the guest's agent share.
    for (const char* program : {"poisonlab", "poisonlab-agent"})
      share_program(fs::path(POISONLAB_BINARY).parent_path() / program, script_dir_->path());
    std::string script = poisonlab::read_file(fs::path(POISONLAB_SOURCE_DIR) / "tests/local_target/guest_script.sh");
    script.replace(script.find("@POISONLAB_BINARY@", script.find("poisonlab=")), 18, "/run/poisonlab/agent/poisonlab");
    fs::path agent = script_dir_->write("local-target-guest.sh", script);
    fs::permissions(agent, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);

    poisonlab::VmConfig vm;
    vm.vm_dir = *vm_dir_;
    vm.kernel_image = artifacts.vmlinuz;
    vm.pvh_image = artifacts.pvh_image;
    vm.initramfs = artifacts.initramfs;
    vm.agent_path = agent;
    vm.nvdimms = {poisonlab::NvdimmSpec{1024 * kMiB}, poisonlab::NvdimmSpec{512 * kMiB}};
    guest_ = new fs::path(poisonlab::guest_share_path(vm));
    fs::create_directories(*guest_ / "scenarios");
    for (const auto& [name, scenario] : scenarios()) std::ofstream(*guest_ / "scenarios" / name) << scenario.dump(2);

    poisonlab::QemuTarget target(vm);
    target.start();
    // The script never speaks the protocol: the VM runs until it powers off.
    try {
      for (;;) target.try_receive(std::chrono::minutes(20));
    } catch (const poisonlab::TargetFailure& f) {
      std::cout << "VM ended: " << f.kind << ": " << f.detail << "\n";
    }
    statuses_ = new std::map<std::string, int>(read_statuses(*guest_ / "rc"));
    std::cout << "guest script log:\n" << read_if(*guest_ / "script.log") << std::flush;
  }
  static void TearDownTestSuite() { delete script_dir_; }

  static std::string output(const std::string& run) { return read_if(*guest_ / (run + ".out")); }
  static int status(const std::string& name) {
    auto it = statuses_->find(name);
    return it == statuses_->end() ? -1 : it->second;
  }

  static inline fs::path* vm_dir_ = nullptr;
  static inline fs::path* guest_ = nullptr;
  static inline poisonlab::TempDir* script_dir_ = nullptr;
  static inline std::map<std::string, int>* statuses_ = nullptr;
};

TEST_F(LocalTargetInGuest, TheGuestScriptRanToTheEnd) {
  EXPECT_EQ(status("namespace0"), 0);
  EXPECT_EQ(status("namespace1"), 0);
  EXPECT_EQ(status("done"), 0) << read_if(*guest_ / "script.log");
}

TEST_F(LocalTargetInGuest, CellsRunOnTheLocalTargetAndMadviseAndHwpoisonPass) {
  fs::path report_file = *guest_ / "cells" / "report.json";
  ASSERT_TRUE(fs::exists(report_file)) << output("cells");
  json report = json::parse(poisonlab::read_file(report_file));
  // Judged: 3 when an oracle failed (mce, ndctl and einj cannot inject here).
  EXPECT_TRUE(status("cells") == 0 || status("cells") == 3) << output("cells");
  ASSERT_EQ(report.at("cells").size(), 5u) << output("cells");
  json target = target_description(*guest_ / "cells", report);
  ASSERT_TRUE(target.is_object()) << "no target description in the report";
  EXPECT_EQ(target.at("backend"), "local");
  EXPECT_EQ(target.at("devices").at(0).at("path"), "/dev/pmem0");
  for (const char* method : {"madvise", "hwpoison-pfn"}) {
    SCOPED_TRACE(method);
    const json& cell = find_cell(report, method);
    EXPECT_EQ(cell.at("status"), "completed") << cell.value("error", json()).dump();
    EXPECT_EQ(cell.at("verdict"), "pass") << cell.at("oracles").dump(1);
    const json& stack = cell.at("observation").at("stack");
    EXPECT_TRUE(stack.at("ok").get<bool>()) << stack.dump(1);
    // The existing device, not a namespace the agent made.
    EXPECT_EQ(stack.at("fs_device"), "/dev/pmem0");
    EXPECT_EQ(stack.at("namespaces").at(0).at("blockdev"), "pmem0");
    EXPECT_EQ(verdict(cell, "dax_active"), "pass");
    EXPECT_EQ(verdict(cell, "injection_succeeded"), "pass");
  }
  // The local target's console log (a guest path under the share) holds
  // the kernel's memory-failure lines.
  std::string console_path = target.at("console_log");
  const std::string share = "/run/poisonlab/out/";
  ASSERT_EQ(console_path.rfind(share, 0), 0u) << console_path;
  std::string console = read_if(*guest_ / console_path.substr(share.size()));
  EXPECT_THAT(console, HasSubstr("Memory failure"));
}

TEST_F(LocalTargetInGuest, MethodsThisMachineCannotDoFailClearly) {
  json report = json::parse(read_if(*guest_ / "cells" / "report.json"));
  auto first_step = [&](const char* method) {
    return find_cell(report, method).at("observation").at("trials").at(0).at("injection").at("steps").at(0);
  };
  // No monitor on the local target: the runner's reply says so.
  json mce = first_step("mce");
  EXPECT_THAT(mce.at("error").get<std::string>(), HasSubstr("no machine monitor")) << mce.dump(1);
  // QEMU's NVDIMM has no error-injection DSM: ndctl refuses, and says so.
  json ndctl = first_step("ndctl-inject-error");
  std::cout << "ndctl-inject-error step in the guest: " << ndctl.dump(1) << "\n";
  EXPECT_THAT(ndctl.at("action").get<std::string>(), HasSubstr("ndctl inject-error --block="));
  EXPECT_THAT(ndctl.at("action").get<std::string>(), HasSubstr("--count=8 namespace0.0"));
  ASSERT_TRUE(ndctl.at("error").is_string()) << ndctl.dump(1);
  EXPECT_TRUE(ndctl.at("tool_output").contains("status_output"));
  // No ACPI EINJ table in a QEMU guest.
  json einj = first_step("einj");
  std::cout << "einj step in the guest: " << einj.dump(1) << "\n";
  EXPECT_THAT(einj.at("error").get<std::string>(),
              HasSubstr("einj: not available on this machine: the firmware has no ACPI EINJ table"));
}

TEST_F(LocalTargetInGuest, TheDeviceIsLeftBlank) {
  // blkid -p exits 2 when it finds no signature.
  EXPECT_EQ(status("blkid_after_cells"), 2) << read_if(*guest_ / "blkid-after-cells.txt");
}

TEST_F(LocalTargetInGuest, RefusalsNameTheDeviceTheReasonAndTheFlag) {
  struct Expected {
    const char* run;
    std::vector<std::string> says;
  };
  const std::vector<Expected> expected = {
      {"not_allowed", {"refusing /dev/pmem1", "not named by --allow-device", "add --allow-device /dev/pmem1"}},
      {"signature", {"refusing /dev/pmem0", "xfs signature at offset 0x0", "pass --force"}},
      {"mounted", {"refusing /dev/pmem0", "mounted at /tmp/lab-mnt", "unmount it first"}},
      {"agent_mounted", {"refusing /dev/pmem0", "mounted at /tmp/lab-mnt", "unmount it first"}},
      {"system_ram", {"local/raw/xfs/hwpoison-pfn", "0x1000000-0x1000fff", "System RAM", "no flag allows"}}};
  EXPECT_EQ(status("mkfs"), 0);
  EXPECT_EQ(status("mount"), 0);
  for (const auto& e : expected) {
    SCOPED_TRACE(e.run);
    EXPECT_EQ(status(e.run), 2) << output(e.run);
    for (const auto& text : e.says) EXPECT_THAT(output(e.run), HasSubstr(text));
    // Refused before anything ran: no report.
    std::string dir = e.run;
    std::replace(dir.begin(), dir.end(), '_', '-');
    EXPECT_FALSE(fs::exists(*guest_ / dir / "report.json"));
  }
  EXPECT_THAT(output("mounted"), Not(HasSubstr("xfs signature")));  // mounted is said first, alone
  // Allowed through another node of the same device (major:minor).
  EXPECT_THAT(output("signature"), Not(HasSubstr("not named by --allow-device")));
}

}  // namespace
