#include "kernel/build_inputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {  // InputError, or a config parse error
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    return e.what();
  }
  return "";
}

TEST(PatchSeries, ReadsNamesInOrderSkippingCommentsAndBlankLines) {
  TempDir dir;
  write(dir / "series", "# the series\n0002-b.patch\n\n0001-a.patch  # first in name only\n");
  write(dir / "0001-a.patch", "a");
  write(dir / "0002-b.patch", "b");
  auto series = read_patch_series(dir.path());
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].name, "0002-b.patch");
  EXPECT_EQ(series[1].name, "0001-a.patch");
  EXPECT_EQ(series[1].path, dir / "0001-a.patch");
  EXPECT_EQ(series[0].sha256.size(), 64u);
}

TEST(PatchSeries, HashChangesWithOrderAndContent) {
  TempDir dir;
  write(dir / "a.patch", "a");
  write(dir / "b.patch", "b");
  write(dir / "series", "a.patch\nb.patch\n");
  std::string ab = patch_series_sha256(read_patch_series(dir.path()));
  write(dir / "series", "b.patch\na.patch\n");
  std::string ba = patch_series_sha256(read_patch_series(dir.path()));
  write(dir / "b.patch", "b2");
  std::string ba2 = patch_series_sha256(read_patch_series(dir.path()));
  EXPECT_NE(ab, ba);
  EXPECT_NE(ba, ba2);
  EXPECT_EQ(patch_series_sha256({}), "");
}

TEST(PatchSeries, BadLinesNameTheSeriesFileAndLine) {
  TempDir dir;
  write(dir / "series", "a.patch\nmissing.patch\n");
  write(dir / "a.patch", "a");
  std::string e = input_error([&] { read_patch_series(dir.path()); });
  EXPECT_THAT(e, HasSubstr("series: line 2: patch '"));
  EXPECT_THAT(e, HasSubstr("missing.patch' not found"));
  write(dir / "series", "a.patch -p0\n");
  EXPECT_THAT(input_error([&] { read_patch_series(dir.path()); }), HasSubstr("line 1: 'a.patch -p0': expected one"));
  write(dir / "series", "../escape.patch\n");
  EXPECT_THAT(input_error([&] { read_patch_series(dir.path()); }), HasSubstr("expected a file inside"));
  fs::remove(dir / "series");
  EXPECT_THAT(input_error([&] { read_patch_series(dir.path()); }), HasSubstr("patch series file not found"));
}

TEST(PatchFiles, ListsModifiedAndCreatedFilesOnce) {
  std::string patch =
      "--- a/drivers/md/dm.c\n+++ b/drivers/md/dm.c\t2026-01-01\n@@ -1 +1 @@\n"
      "--- /dev/null\n+++ b/drivers/md/new.c\n@@ -0,0 +1 @@\n"
      "--- a/old.c\n+++ /dev/null\n@@ -1 +0,0 @@\n"
      "--- a/drivers/md/dm.c\n+++ b/drivers/md/dm.c\n@@ -5 +5 @@\n";
  EXPECT_THAT(files_touched_by_patch(patch), ElementsAre("drivers/md/dm.c", "drivers/md/new.c"));
}

TEST(ConfigInputs, UnmetOptionsAreThoseKconfigDroppedOrChanged) {
  std::vector<NamedConfig> parts = {
      {"base", {{"CONFIG_A", "y"}, {"CONFIG_B", "y"}, {"CONFIG_OFF", "n"}, {"CONFIG_NAME", "-x"}}},
      {"frag", {{"CONFIG_B", "n"}, {"CONFIG_C", "y"}, {"CONFIG_D", "y"}}},
  };
  KernelConfig final_config = {{"CONFIG_A", "y"}, {"CONFIG_NAME", "-x"}, {"CONFIG_C", "m"}};
  auto unmet = unmet_config_options(parts, final_config);
  ASSERT_EQ(unmet.size(), 2u);  // B=n is met by absence, as is OFF
  EXPECT_EQ(unmet[0].option, "CONFIG_C");
  EXPECT_EQ(unmet[0].got, "m");
  EXPECT_EQ(unmet[0].source, "frag");
  EXPECT_EQ(unmet[1].option, "CONFIG_D");
  EXPECT_EQ(unmet[1].got, "absent");
  EXPECT_THAT(format_unmet_options(unmet), HasSubstr("CONFIG_D=y (from frag) but Kconfig gave absent"));
}

TEST(ConfigInputs, ConcatenatesBaseThenFragmentsAndKeysTheBuild) {
  TempDir dir;
  write(dir / "base.config", "CONFIG_A=y");  // no final newline
  write(dir / "frag.config", "# CONFIG_A is not set\n");
  BuildVariant v{.name = "x", .base = dir / "base.config", .fragments = {dir / "frag.config"}};
  auto inputs = load_config_inputs(v);
  EXPECT_EQ(inputs.allconfig_text, "CONFIG_A=y\n# CONFIG_A is not set\n");
  ASSERT_EQ(inputs.parts.size(), 2u);
  EXPECT_EQ(inputs.parts[1].config.at("CONFIG_A"), "n");
  auto key = build_key("src", inputs, {});
  write(dir / "frag.config", "CONFIG_B=y\n");
  EXPECT_NE(build_key("src", load_config_inputs(v), {}), key);
  EXPECT_NE(build_key("other", inputs, {}), key);
  write(dir / "frag.config", "CONFIG_B is on\n");
  EXPECT_THAT(input_error([&] { load_config_inputs(v); }), HasSubstr("frag.config"));
}

TEST(ConfigInputs, TheShippedVariantsCarryTheirFragmentsAndTheDmPatchSeries) {
  auto registry = VariantRegistry::load(fs::path(POISONLAB_SOURCE_DIR) / "kernel-config/variants.json");
  auto patched = registry.build_variant("pl-6.12-dm-notify");
  auto series = read_patch_series(patched.patches);
  ASSERT_FALSE(series.empty());
  std::vector<std::string> touched;
  for (const auto& p : series)
    for (const auto& f : files_touched_by_patch(read_file(p.path))) touched.push_back(f);
  EXPECT_THAT(touched, testing::IsSupersetOf({"drivers/md/dm.c", "drivers/md/dm-linear.c", "drivers/md/dm-stripe.c"}));
  auto inputs = load_config_inputs(registry.build_variant("pl-6.12"));
  EXPECT_EQ(inputs.parts.size(), 3u);  // base, base.config, cxl-vm.config
  EXPECT_EQ(inputs.parts.back().config.at("CONFIG_CXL_REGION_INVALIDATION_TEST"), "y");
  EXPECT_EQ(inputs.parts[1].config.at("CONFIG_MODULES"), "n");
}

}  // namespace
}  // namespace poisonlab
