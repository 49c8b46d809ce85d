#pragma once
// The kernel variant registry (kernel-config/variants.json): which Debian
// package each variant name stands for and which modules its guest loads.
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

class VariantRegistry {
 public:
  // Throws InputError naming the file and field on bad content.
  static VariantRegistry load(const std::filesystem::path& file);
  static VariantRegistry parse(const nlohmann::json& doc, const std::string& file_label);

  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  // Throws InputError "unknown kernel variant 'x' (known: a, b)" (exit 2).
  const nlohmann::json& get(const std::string& name) const;
  DebianVariant variant(const std::string& name) const;
  // Modules for --kernel-image kernels (all optional).
  const std::vector<ModuleRequest>& custom_modules() const { return custom_modules_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  nlohmann::json doc_;
  std::map<std::string, DebianVariant> variants_;
  std::vector<ModuleRequest> custom_modules_;
};

}  // namespace poisonlab
