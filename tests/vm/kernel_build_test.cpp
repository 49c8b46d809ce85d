// Label kernel-build (not in the default run; POISONLAB_KERNEL_BUILD=1):
// `poisonlab kernel build` compiles the source variants from Debian's
// linux-source-6.12 and the runner boots them in QEMU. The first build in a
// fresh cache takes about ten minutes per variant on 2 cores.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"
#include "kernel/kernel_cache.h"
#include "vm_run.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

poisonlab::CommandResult poisonlab_cli(const std::vector<std::string>& args, std::chrono::minutes timeout) {
  std::vector<std::string> argv = {POISONLAB_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  poisonlab::RunOptions options;
  options.timeout = timeout;
  options.merge_stderr = true;
  auto r = poisonlab::run_command(argv, options);
  std::cout << r.out << std::flush;
  return r;
}

// Builds the variant (incrementally when the cache has it) and returns its record.
json build(const std::string& variant) {
  auto r = poisonlab_cli({"kernel", "build", variant}, std::chrono::minutes(45));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  fs::path record = poisonlab::KernelCache::from_environment().build_dir(variant) / "kernel.json";
  return json::parse(poisonlab::read_file(record));
}

json run(const std::string& scenario, const std::vector<std::string>& kernels, const std::string& name) {
  std::vector<std::string> args;
  for (const auto& k : kernels) args.insert(args.end(), {"--kernel", k});
  auto r = vm_test::run_poisonlab(scenario, args, name, std::chrono::minutes(40));
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.output;
  return r.report;
}

void expect_build_record(const json& record, const std::string& variant) {
  EXPECT_EQ(record.at("variant"), variant);
  EXPECT_EQ(record.at("release").get<std::string>().rfind("6.12.", 0), 0u) << record.dump(2);
  EXPECT_NE(record.at("release").get<std::string>().find("-poisonlab"), std::string::npos);
  EXPECT_EQ(record.at("config_sha256").get<std::string>().size(), 64u);
  EXPECT_EQ(record.at("key").at("source_sha256").get<std::string>().size(), 64u);
  EXPECT_NE(record.at("compiler").get<std::string>().find("gcc"), std::string::npos);
  EXPECT_GT(record.at("seconds").at("make").get<double>(), 0.0);
}

}  // namespace

// The configured kernel builds, passes `kernel check` for what its
// scenarios need (CXL and dm included) and runs the smoke scenario with
// nothing loaded as a module.
TEST(KernelBuild, ConfiguredKernelBuildsAndBoots) {
  json record = build("pl-6.12");
  expect_build_record(record, "pl-6.12");
  EXPECT_EQ(record.at("patches").at("sha256"), "");
  fs::path config = fs::path(record.at("bzimage").get<std::string>()).parent_path() / "config";
  std::string scenarios = std::string(POISONLAB_SOURCE_DIR) + "/scenarios/";
  // Every feature the shipped scenarios for built kernels need (btf is optional).
  auto check = poisonlab_cli({"kernel", "check", config.string(), "--scenario", scenarios + "smoke.json",
                              "--scenario", scenarios + "cxl.json", "--scenario", scenarios + "dm-notify.json"},
                             std::chrono::minutes(1));
  EXPECT_EQ(check.exit_code, 0) << check.out;

  json report = run("smoke.json", {"pl-6.12"}, "kernel-build-smoke");
  ASSERT_EQ(report.at("kernels").size(), 1u);
  const json& kernel = report.at("kernels")[0];
  EXPECT_EQ(kernel.at("release"), record.at("release"));
  EXPECT_EQ(kernel.at("build").at("config_sha256"), record.at("config_sha256"));
  EXPECT_TRUE(kernel.at("modules").empty());
  for (const auto& cell : report.at("cells")) {
    SCOPED_TRACE(cell.at("id").get<std::string>());
    EXPECT_EQ(cell.at("status"), "completed");
    EXPECT_EQ(cell.at("verdict"), "pass");
  }
}

// The dm-notify-failure series: on the patched build, memory failures under
// dm-linear and dm-stripe reach XFS through dm_dax_notify_failure; on the
// configured build without it they take the generic fallback.
TEST(KernelBuild, DmNotifyFailureVariantForwardsToXfs) {
  json stock = build("pl-6.12");
  json patched = build("pl-6.12-dm-notify");
  expect_build_record(patched, "pl-6.12-dm-notify");
  EXPECT_EQ(patched.at("patches").at("series").size(), 3u);
  EXPECT_NE(patched.at("config_sha256"), "");
  EXPECT_EQ(patched.at("key").at("config_inputs_sha256"), stock.at("key").at("config_inputs_sha256"));

  json report = run("dm-notify.json", {"pl-6.12", "pl-6.12-dm-notify"}, "kernel-build-dm-notify");
  int forwarded = 0, fallback_on_stock = 0;
  for (const auto& cell : report.at("cells")) {
    SCOPED_TRACE(cell.at("id").get<std::string>());
    EXPECT_EQ(cell.at("status"), "completed");
    std::string stack = cell.at("stack");
    if (stack == "raw") continue;
    std::vector<json> events;
    for (const auto& trial : cell.at("notify_path").at("per_trial"))
      for (const auto& e : trial.at("per_event")) events.push_back(e);
    for (const auto& e : events) {
      if (cell.at("kernel") == "pl-6.12-dm-notify") {
        // holder-error: XFS shut down on metadata poison (AG header), as on raw pmem
        EXPECT_TRUE(e.at("class") == "holder" || e.at("class") == "holder-error") << e.dump();
        EXPECT_EQ(e.at("dm_forwarded"), true) << e.dump();
        forwarded += e.at("dm_forwarded") == true;
      } else {
        EXPECT_EQ(e.at("class"), "generic-fallback") << e.dump();
        fallback_on_stock += e.at("class") == "generic-fallback";
      }
    }
  }
  EXPECT_GT(forwarded, 0);
  EXPECT_GT(fallback_on_stock, 0);
}
