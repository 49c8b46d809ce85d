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
  EXPECT_THAT(registry.names(), ElementsAre("debian-6.1", "debian-6.12", "pl-6.12", "pl-6.12-dm-notify"));
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

// A build variant whose files live in a temporary kernel-config folder.
struct BuildFixture {
  TempDir dir{"variants"};
  BuildFixture() {
    std::filesystem::create_directories(dir / "base");
    std::filesystem::create_directories(dir / "fragments");
    std::filesystem::create_directories(dir / "patches/p");
    std::ofstream(dir / "base/vm.config") << "CONFIG_64BIT=y\n";
    std::ofstream(dir / "fragments/a.config") << "CONFIG_XFS_FS=y\n";
    std::ofstream(dir / "patches/p/series") << "0001-x.patch\n";
  }
  json doc(const json& variant) const {
    json d = valid_doc();
    d["variants"]["pl-x"] = variant;
    return d;
  }
  static json variant() {
    return json::parse(R"({"source": "build", "tree": {"debian_source_package": "linux-source-6.12"},
                           "base": "base/vm.config", "fragments": ["fragments/a.config"], "patches": "patches/p"})");
  }
  std::string error(const json& variant) const {
    try {
      VariantRegistry::parse(doc(variant), "variants.json", dir.path());
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
};

TEST(VariantRegistry, BuildVariantPathsResolveAgainstTheRegistryFolder) {
  BuildFixture f;
  auto registry = VariantRegistry::parse(f.doc(BuildFixture::variant()), "variants.json", f.dir.path());
  ASSERT_TRUE(registry.is_build("pl-x"));
  EXPECT_FALSE(registry.is_build("debian-6.1"));
  auto v = registry.build_variant("pl-x");
  EXPECT_EQ(v.debian_source_package, "linux-source-6.12");
  EXPECT_EQ(v.base, f.dir / "base/vm.config");
  EXPECT_THAT(v.fragments, ElementsAre(f.dir / "fragments/a.config"));
  EXPECT_EQ(v.patches, f.dir / "patches/p");
  EXPECT_THAT(registry.names(), ElementsAre("debian-6.1", "debian-6.12", "pl-x"));
}

TEST(VariantRegistry, BuildAndDebianVariantsAreNotInterchangeable) {
  BuildFixture f;
  auto registry = VariantRegistry::parse(f.doc(BuildFixture::variant()), "variants.json", f.dir.path());
  try {
    registry.variant("pl-x");
    FAIL() << "a build variant is not a Debian package";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("built from source"));
  }
  try {
    registry.build_variant("debian-6.1");
    FAIL() << "a Debian variant is not built";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("kernel fetch"));
  }
}

TEST(VariantRegistry, BadBuildVariantsNameTheFieldAndTheMissingFile) {
  BuildFixture f;
  auto v = BuildFixture::variant();
  v["fragments"] = {"fragments/missing.config"};
  EXPECT_THAT(f.error(v), HasSubstr("/variants/pl-x/fragments/0: file '"));
  EXPECT_THAT(f.error(v), HasSubstr("missing.config' not found"));
  v = BuildFixture::variant();
  v["patches"] = "patches/none";
  EXPECT_THAT(f.error(v), HasSubstr("/variants/pl-x/patches: folder"));
  v = BuildFixture::variant();
  v["tree"]["debian_source_package"] = "linux-image-6.12";
  EXPECT_THAT(f.error(v), HasSubstr("expected linux-source-X.Y"));
  v = BuildFixture::variant();
  v.erase("base");
  EXPECT_THAT(f.error(v), HasSubstr("/variants/pl-x/base: missing field"));
  v = BuildFixture::variant();
  v["source"] = "git";
  EXPECT_THAT(f.error(v), HasSubstr("expected \"debian\" or \"build\""));
  v = BuildFixture::variant();
  v["modules"] = json::array();
  EXPECT_THAT(f.error(v), HasSubstr("/variants/pl-x/modules: unknown field"));
  std::filesystem::remove(f.dir / "patches/p/series");
  EXPECT_THAT(f.error(BuildFixture::variant()), HasSubstr("series' not found"));
}

}  // namespace
}  // namespace poisonlab
