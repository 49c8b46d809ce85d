#pragma once
// Kernel .config files and fragments: parsing, merging fragments in order,
// and checking a config against what each scenario feature needs
// (kernel-config/README.md).
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab {

struct Scenario;

// "CONFIG_X" -> "y" | "m" | "n" ("# CONFIG_X is not set") | a string
// (quotes removed) or number.
using KernelConfig = std::map<std::string, std::string>;

// label names the source in errors. A line that is neither an assignment,
// a "not set" line, a comment nor blank is an error (exit status 2).
KernelConfig parse_kernel_config(std::string_view text, const std::string& label);
// Errors (exit status 2) name the file when it cannot be read.
KernelConfig load_kernel_config(const std::filesystem::path& file);

struct NamedConfig {
  std::string name;  // e.g. the fragment's file name
  KernelConfig config;
};

// An option a later fragment set to a different value than an earlier one.
struct ConfigOverride {
  std::string option;
  std::string old_value, old_source;
  std::string new_value, new_source;
};

struct MergedConfig {
  KernelConfig config;
  std::vector<ConfigOverride> overrides;
};

// Later fragments win.
MergedConfig merge_kernel_configs(const std::vector<NamedConfig>& fragments);

struct ConfigRequirement {
  std::string option;  // "CONFIG_X"
  bool module_ok;      // "m" is enough (Debian loads it from the initramfs)
};

// Features in table order: core, 9p-guest, xfs, ext4, dm, trace, mce, perf, cxl.
const std::vector<std::string>& config_features();
// Throws std::out_of_range for an unknown feature.
const std::vector<ConfigRequirement>& config_requirements(const std::string& feature);

struct ConfigFinding {
  std::string option;
  std::string found;   // "absent" | "n" | "m" | "y" | the value
  std::string needed;  // "y" | "y or m"
  bool ok = false;
};

struct FeatureCheck {
  std::string feature;
  std::vector<ConfigFinding> findings;  // every requirement, ok or not
  std::vector<ConfigFinding> problems() const;
};

// One entry per requested feature, in config_features() order. An unknown
// feature is a UserError with exit status 2.
std::vector<FeatureCheck> check_config(const KernelConfig& config, const std::set<std::string>& features);
bool all_present(const std::vector<FeatureCheck>& checks);
// The table `poisonlab kernel check` prints, then a verdict line.
std::string format_config_check(const std::vector<FeatureCheck>& checks);

// What a scenario needs: core and 9p-guest always, plus its file systems,
// dm for dm-* stacks, mce for machine checks, trace, perf.
std::set<std::string> scenario_config_features(const Scenario& scenario);

}  // namespace poisonlab
