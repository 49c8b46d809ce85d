#include "kernel/kernel_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "scenario/scenario.h"

namespace poisonlab {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Shaped like a Debian .config: header, "is not set", modules, strings.
const char* kDebianLike =
    "#\n# Automatically generated file; DO NOT EDIT.\n#\n"
    "CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"\n"
    "CONFIG_MEMORY_FAILURE=y\n"
    "CONFIG_HWPOISON_INJECT=m\n"
    "# CONFIG_XFS_ONLINE_SCRUB is not set\n"
    "CONFIG_NR_CPUS=8192\n"
    "CONFIG_XFS_FS=m\n";

TEST(KernelConfig, ParsesValuesModulesNotSetAndStrings) {
  KernelConfig c = parse_kernel_config(kDebianLike, "<test>");
  EXPECT_EQ(c.at("CONFIG_MEMORY_FAILURE"), "y");
  EXPECT_EQ(c.at("CONFIG_HWPOISON_INJECT"), "m");
  EXPECT_EQ(c.at("CONFIG_XFS_ONLINE_SCRUB"), "n");
  EXPECT_EQ(c.at("CONFIG_NR_CPUS"), "8192");
  EXPECT_EQ(c.at("CONFIG_CC_VERSION_TEXT"), "gcc (Debian 12.2.0-14) 12.2.0");
  EXPECT_EQ(c.size(), 6u);  // plain comments are skipped
}

TEST(KernelConfig, BadLineNamesLabelAndLineNumber) {
  try {
    parse_kernel_config("CONFIG_A=y\nMEMORY_FAILURE=y\n", "frag.config");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("frag.config:2"));
  }
}

TEST(KernelConfig, UnreadableFileIsBadInputNamingTheFile) {
  try {
    load_kernel_config("/nonexistent/config-6.12");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/config-6.12"));
  }
}

TEST(KernelConfig, MergeLaterWinsAndReportsOverrides) {
  auto merged = merge_kernel_configs({
      {"base.config", parse_kernel_config("CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\n", "base")},
      {"debug.config", parse_kernel_config("CONFIG_B=y\nCONFIG_C=y\nCONFIG_D=m\n", "debug")},
  });
  EXPECT_EQ(merged.config.at("CONFIG_A"), "y");
  EXPECT_EQ(merged.config.at("CONFIG_C"), "y");
  EXPECT_EQ(merged.config.at("CONFIG_D"), "m");
  ASSERT_EQ(merged.overrides.size(), 1u);  // B set to the same value is no override
  EXPECT_EQ(merged.overrides[0].option, "CONFIG_C");
  EXPECT_EQ(merged.overrides[0].old_value, "n");
  EXPECT_EQ(merged.overrides[0].old_source, "base.config");
  EXPECT_EQ(merged.overrides[0].new_source, "debug.config");
}

TEST(KernelConfig, ModuleAcceptedOnlyWhereAllowed) {
  KernelConfig c = parse_kernel_config(
      "CONFIG_XFS_FS=m\nCONFIG_X86_MCE=m\n# CONFIG_X86_MCE_INTEL is not set\n", "<test>");
  auto checks = check_config(c, {"xfs", "mce"});
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].feature, "xfs");  // table order
  EXPECT_TRUE(checks[0].problems().empty());
  auto problems = checks[1].problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].option, "CONFIG_X86_MCE");
  EXPECT_EQ(problems[0].found, "m");
  EXPECT_EQ(problems[0].needed, "y");
  EXPECT_EQ(problems[1].found, "n");
  EXPECT_FALSE(all_present(checks));
}

TEST(KernelConfig, AbsentOptionAndTable) {
  auto checks = check_config({}, {"perf"});
  ASSERT_EQ(checks[0].problems().size(), 1u);
  EXPECT_EQ(checks[0].problems()[0].found, "absent");
  std::string table = format_config_check(checks);
  EXPECT_THAT(table, HasSubstr("CONFIG_PERF_EVENTS"));
  EXPECT_THAT(table, HasSubstr("MISSING"));
  EXPECT_THAT(table, HasSubstr("missing or wrong options for: perf (1)"));
}

TEST(KernelConfig, UnknownFeatureIsBadInput) {
  try {
    check_config({}, {"zfs"});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
}

TEST(KernelConfig, EveryFeatureHasRequirements) {
  for (const auto& feature : config_features()) EXPECT_FALSE(config_requirements(feature).empty()) << feature;
}

TEST(KernelConfig, FeaturesOfAScenario) {
  Scenario s;  // defaults: raw xfs, trace on, no perf
  s.injections.push_back(InjectionSpec{.method = "madvise"});
  EXPECT_EQ(scenario_config_features(s), (std::set<std::string>{"core", "9p-guest", "xfs", "trace"}));
  s.trace = false;
  s.stacks.push_back(StackSpec{.type = "dm-stripe"});
  s.filesystems.push_back(FilesystemSpec{.type = "ext4"});
  s.injections.push_back(InjectionSpec{.method = "mce"});
  s.perf = PerfSpec{};
  EXPECT_EQ(scenario_config_features(s),
            (std::set<std::string>{"core", "9p-guest", "xfs", "ext4", "dm", "mce", "perf"}));
}

TEST(KernelConfig, ShippedFragmentsParseAndBaseCoversEveryFeatureButCxl) {
  fs::path dir = fs::path(POISONLAB_SOURCE_DIR) / "kernel-config/fragments";
  std::vector<NamedConfig> fragments;
  for (const char* name : {"base.config", "cxl-vm.config", "debug.config", "btf.config"})
    fragments.push_back({name, load_kernel_config(dir / name)});
  std::set<std::string> all(config_features().begin(), config_features().end());
  std::set<std::string> without_cxl = all;
  without_cxl.erase("cxl");
  without_cxl.erase("btf");
  EXPECT_TRUE(all_present(check_config(fragments[0].config, without_cxl)))
      << format_config_check(check_config(fragments[0].config, without_cxl));
  auto merged = merge_kernel_configs(fragments);
  EXPECT_TRUE(all_present(check_config(merged.config, all))) << format_config_check(check_config(merged.config, all));
  EXPECT_EQ(merged.config.at("CONFIG_MODULES"), "n");
  for (const auto& [option, value] : merged.config) {
    if (value != "n") {
      EXPECT_EQ(value, "y") << option << ": fragments build everything in";
    }
  }
}

}  // namespace
}  // namespace poisonlab
