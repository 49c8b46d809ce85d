#include "kernel/variant_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

json valid_doc() {
  return json::parse(R"({
    "variants": {
      "debian-6.1": {"source": "debian", "metapackage": "linux-image-amd64",
                     "suites": ["bookworm", "bookworm-security"],
                     "package_glob": "linux-image-6.1.0-*-amd64",
                     "modules": ["virtio_pci", {"name": "cxl_pmem", "optional": true}, "xfs"]},
      "debian-6.12": {"source": "debian", "metapackage": "linux-image-amd64",
                      "suites": ["bookworm-backports"], "package_glob": "linux-image-6.12.*+deb12-amd64",
                      "modules": ["xfs"]}
    },
    "custom": {"modules": ["9p", "xfs"]}
  })");
}

// The InputError's message for a document, or "" if it loads.
std::string load_error(const json& doc) {
  try {
    VariantRegistry::parse(doc, "variants.json");
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    return e.what();
  }
  return "";
}

TEST(VariantRegistry, TheShippedRegistryHasBothDebianVariants) {
  auto registry = VariantRegistry::load(std::filesystem::path(POISONLAB_SOURCE_DIR) / "kernel-config/variants.json");
  EXPECT_THAT(registry.names(), ElementsAre("debian-6.1", "debian-6.12"));
  auto v612 = registry.variant("debian-6.12");
  EXPECT_THAT(v612.suites, ElementsAre("bookworm-backports"));
  // Every filesystem and stack a scenario can ask for needs its module in the initramfs.
  std::vector<std::string> names;
  for (const auto& m : v612.modules) names.push_back(m.name);
  EXPECT_THAT(names, testing::IsSupersetOf({"nfit", "nd_pmem", "dax_pmem", "xfs", "ext4", "dm-mod", "9p"}));
  ASSERT_FALSE(v612.modules.empty());
  EXPECT_EQ(v612.modules.front().name, "virtio_pci");
  EXPECT_EQ(v612.modules.back().name, "hwpoison-inject");
  for (const auto& m : registry.custom_modules()) EXPECT_TRUE(m.optional) << m.name;
}

TEST(VariantRegistry, ParsesStringAndObjectModuleEntries) {
  auto registry = VariantRegistry::parse(valid_doc(), "variants.json");
  EXPECT_TRUE(registry.contains("debian-6.1"));
  EXPECT_FALSE(registry.contains("debian-5.10"));
  auto v = registry.variant("debian-6.1");
  EXPECT_THAT(v.modules, ElementsAre(ModuleRequest{"virtio_pci", false}, ModuleRequest{"cxl_pmem", true},
                                     ModuleRequest{"xfs", false}));
  EXPECT_EQ(registry.get("debian-6.1")["metapackage"], "linux-image-amd64");
}

TEST(VariantRegistry, UnknownVariantListsTheKnownNames) {
  auto registry = VariantRegistry::parse(valid_doc(), "variants.json");
  try {
    registry.get("debian-5.10");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("unknown kernel variant 'debian-5.10' (known: debian-6.1, debian-6.12)"));
    EXPECT_EQ(e.file(), "variants.json");
  }
  EXPECT_THROW(registry.variant("custom"), InputError);
}

TEST(VariantRegistry, BadContentNamesTheField) {
  json doc = valid_doc();
  doc["variants"]["debian-6.1"]["suites"] = "bookworm";
  EXPECT_THAT(load_error(doc), HasSubstr("/variants/debian-6.1/suites: expected a non-empty array"));

  doc = valid_doc();
  doc["variants"]["debian-6.1"].erase("package_glob");
  EXPECT_THAT(load_error(doc), HasSubstr("/variants/debian-6.1/package_glob: missing field"));

  doc = valid_doc();
  doc["variants"]["debian-6.1"]["sutes"] = json::array({"x"});
  EXPECT_THAT(load_error(doc), HasSubstr("/variants/debian-6.1/sutes: unknown field 'sutes'"));

  doc = valid_doc();
  doc["variants"]["debian-6.1"]["modules"][1] = json{{"name", "cxl_pmem"}, {"optional", "yes"}};
  EXPECT_THAT(load_error(doc), HasSubstr("/variants/debian-6.1/modules/1/optional: expected true or false"));

  doc = valid_doc();
  doc["variants"]["debian-6.1"]["modules"][0] = "xfs.ko; rm";
  EXPECT_THAT(load_error(doc), HasSubstr("/variants/debian-6.1/modules/0: 'xfs.ko; rm' is not a module name"));

  doc = valid_doc();
  doc["variants"]["debian-6.1"]["source"] = "fedora";
  EXPECT_THAT(load_error(doc), HasSubstr("unsupported source 'fedora'"));

  doc = valid_doc();
  doc["variants"] = json::object();
  EXPECT_THAT(load_error(doc), HasSubstr("/variants: expected a non-empty object"));

  doc = valid_doc();
  doc["variants"]["custom"] = doc["variants"]["debian-6.1"];
  EXPECT_THAT(load_error(doc), HasSubstr("'custom' is reserved"));

  doc = valid_doc();
  doc.erase("custom");
  EXPECT_THAT(load_error(doc), HasSubstr("/custom: expected an object"));

  EXPECT_EQ(load_error(valid_doc()), "");
}

TEST(VariantRegistry, MissingOrInvalidFileIsAnInputError) {
  EXPECT_THROW(VariantRegistry::load("/nonexistent/variants.json"), InputError);
  TempDir dir("pl-variants");
  auto file = dir.write("variants.json", "{ not json");
  try {
    VariantRegistry::load(file);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not valid JSON"));
  }
}

TEST(VariantRegistry, ResolutionKeyChangesWithTheResolutionInputsOnly) {
  auto registry = VariantRegistry::parse(valid_doc(), "variants.json");
  auto a = registry.variant("debian-6.1");
  auto b = a;
  b.modules.clear();
  EXPECT_EQ(a.resolution_key(), b.resolution_key());
  b.suites = {"bookworm"};
  EXPECT_NE(a.resolution_key(), b.resolution_key());
}

}  // namespace
}  // namespace poisonlab
