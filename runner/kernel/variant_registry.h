#pragma once
// The kernel variant registry (kernel-config/variants.json): which Debian
// package each variant name stands for and which modules its guest loads,
// or which source, base config, fragments and patch series a kernel is
// built from (`poisonlab kernel build`).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct ModuleRequest {
  std::string name;       // "-" and "_" are interchangeable
  bool optional = false;  // absent (neither built in nor a module) is not an error
  bool operator==(const ModuleRequest&) const = default;
};

// A Debian kernel: the dependency of `metapackage` matching `package_glob`,
// highest version among `suites`.
struct DebianVariant {
  std::string name;
  std::string metapackage;
  std::vector<std::string> suites;
  std::string package_glob;
  std::vector<ModuleRequest> modules;
  // Hash of the resolution inputs: a cached resolution is reused only while
  // it is unchanged.
  std::string resolution_key() const;
};

// A kernel built from source: a source tree, a patch series applied to it,
// and `make allnoconfig` with the base config and fragments as
// KCONFIG_ALLCONFIG. Paths are absolute (the registry resolves them against
// its own folder).
struct BuildVariant {
  std::string name;
  std::string description;
  std::string debian_source_package;  // "linux-source-6.12": /usr/src/<package>.tar.xz
  std::filesystem::path base;         // the small base config
  std::vector<std::filesystem::path> fragments;
  std::filesystem::path patches;      // a folder with a quilt "series" file; empty: none
};

class VariantRegistry {
 public:
  // Throws InputError naming the file and field on bad content.
  static VariantRegistry load(const std::filesystem::path& file);
  // Relative paths of build variants are resolved against base_dir.
  static VariantRegistry parse(const nlohmann::json& doc, const std::string& file_label,
                               const std::filesystem::path& base_dir = {});

  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  // Throws InputError "unknown kernel variant 'x' (known: a, b)" (exit 2).
  const nlohmann::json& get(const std::string& name) const;
  // Throws InputError when name is unknown or not a Debian variant.
  DebianVariant variant(const std::string& name) const;
  bool is_build(const std::string& name) const { return builds_.count(name) > 0; }
  // Throws InputError when name is unknown or not built from source.
  BuildVariant build_variant(const std::string& name) const;
  // Modules for --kernel-image kernels (all optional).
  const std::vector<ModuleRequest>& custom_modules() const { return custom_modules_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  nlohmann::json doc_;
  std::map<std::string, DebianVariant> variants_;
  std::map<std::string, BuildVariant> builds_;
  std::vector<ModuleRequest> custom_modules_;
};

}  // namespace poisonlab
