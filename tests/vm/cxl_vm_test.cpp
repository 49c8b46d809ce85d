// vm.cxl (issue 5): scenarios/cxl.json end to end on CXL-backed pmem: a
// q35 VM with a CXL type-3 device, a region made by `cxl create-region`, an
// fsdax namespace and XFS-DAX. Asserts what was observed and poisonlab's own
// arithmetic (HPA -> pfn -> DPA) against the kernel; what memory_failure did
// with poison-list entries is printed, not asserted.
//
// Needs a kernel with CONFIG_CXL_REGION_INVALIDATION_TEST=y: the pl-6.12
// variant once `poisonlab kernel build pl-6.12` has built it, or any such
// image in $POISONLAB_CXL_KERNEL_IMAGE (booted with --kernel-image). Without
// either the test exits with status 77, which ctest reports as skipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"
#include "kernel/kernel_cache.h"
#include "vm_run.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int kSkipExit = 77;  // tests/vm/CMakeLists.txt: SKIP_RETURN_CODE

// The kernel arguments for the run, or exits 77 with why.
std::vector<std::string> kernel_args() {
  if (const char* image = std::getenv("POISONLAB_CXL_KERNEL_IMAGE"); image && *image)
    return {"--kernel-image", image};
  fs::path built = poisonlab::KernelCache::from_environment().build_dir("pl-6.12") / "bzImage";
  if (fs::exists(built)) return {};
  std::cout << "SKIPPED: vm.cxl needs the pl-6.12 kernel (CONFIG_CXL_REGION_INVALIDATION_TEST=y; Debian kernels "
               "cannot commit a CXL region in a VM), and "
            << built.string()
            << " does not exist: run `poisonlab kernel build pl-6.12`, or set POISONLAB_CXL_KERNEL_IMAGE to such a "
               "bzImage\n"
            << std::flush;
  std::_Exit(kSkipExit);
}

using vm_test::find_oracle;
using vm_test::verdict;

bool has_event(const json& trial, const std::string& name) {
  for (const auto& e : trial.at("trace_events"))
    if (e.at("event") == name) return true;
  return false;
}

}  // namespace

TEST(VmCxl, RegionNamespaceXfsDaxAndEveryMethod) {
  std::vector<std::string> extra = kernel_args();
  auto r = vm_test::run_poisonlab("cxl.json", extra, "cxl");
  ASSERT_TRUE(r.report.is_object()) << "no report written\n" << r.output;
  const json& report = r.report;
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.output;  // judged, pass or fail
  EXPECT_EQ(report.at("kernels").at(0).at("target").at("machine"), "q35");
  const json& cells = report.at("cells");
  ASSERT_EQ(cells.size(), 5u);
  for (const auto& cell : cells) {
    std::string method = cell.at("method");
    SCOPED_TRACE(cell.at("id").get<std::string>());
    ASSERT_EQ(cell.at("status"), "completed") << cell.value("error", json()).dump();
    const json& stack = cell.at("observation").at("stack");
    ASSERT_TRUE(stack.at("ok").get<bool>()) << stack.dump(2);
    // The namespace sits in the nd region the kernel made of the CXL region.
    const json& cxl = stack.at("cxl");
    const json& ns = stack.at("namespaces").at(0);
    EXPECT_EQ(ns.at("region").at("dev"), cxl.at("nd_region"));
    EXPECT_EQ(ns.at("region").at("resource"), cxl.at("hpa_start"));
    EXPECT_FALSE(cxl.at("namespace_setup").at("align_used").is_null()) << cxl.dump();
    EXPECT_EQ(verdict(cell, "dax_active"), "pass");
    EXPECT_EQ(verdict(cell, "kernel_healthy"), "pass");
    EXPECT_EQ(verdict(cell, "injection_succeeded"), "pass");
    const json& trial = cell.at("observation").at("trials").at(0);
    ASSERT_EQ(trial.at("units").size(), 2u);
    // Every unit lies in the region, so it has a DPA: HPA - region start + DPA base.
    for (size_t i = 0; i < 2; ++i) {
      const json& u = trial.at("cxl").at("units").at(i);
      ASSERT_TRUE(u.at("dpa").is_number()) << u.dump();
      EXPECT_EQ(u.at("dpa").get<uint64_t>(), u.at("phys").get<uint64_t>() - cxl.at("hpa_start").get<uint64_t>() +
                                                   cxl.at("dpa_start").get<uint64_t>());
    }
    if (method == "madvise" || method == "hwpoison-pfn" || method == "mce") {
      // The fs-dax path: the kernel agrees with poisonlab's pfn for the CXL address.
      EXPECT_EQ(verdict(cell, "pfn_arithmetic"), "pass");
      EXPECT_EQ(verdict(cell, "memory_failure_traced"), "pass");
      for (const auto& u : trial.at("units")) EXPECT_EQ(u.at("pfn_kernel"), u.at("pfn_computed")) << u.dump();
    } else {
      // Poison lists: the device lists the injected DPAs (read back through
      // the kernel); what reached memory_failure is recorded either way.
      EXPECT_EQ(verdict(cell, "cxl_poison_outcome"), "pass") << find_oracle(cell, "cxl_poison_outcome")->dump(2);
      EXPECT_TRUE(has_event(trial, "cxl_poison"));
      EXPECT_TRUE(trial.at("cxl").at("poison_list_read").at("ok").get<bool>());
    }
    const json* outcome = find_oracle(cell, "cxl_poison_outcome");
    ASSERT_NE(outcome, nullptr);
    std::cout << "cxl outcome " << cell.at("id").get<std::string>() << ": " << outcome->at("verdict").get<std::string>()
              << ": " << outcome->at("summary").get<std::string>() << "\n";
  }
}
