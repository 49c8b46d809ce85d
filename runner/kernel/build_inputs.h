#pragma once
// What a source-built kernel variant is made of, checked before and after
// `make`: the patch series, the config fragments handed to allnoconfig and
// whether each of their options survived Kconfig, and the hashes that name
// a build (kernel-config/README.md, "Building").
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/kernel_config.h"
#include "kernel/variant_registry.h"

namespace poisonlab {

struct PatchFile {
  std::string name;  // as listed in the series file
  std::filesystem::path path;
  std::string sha256;
};

// The patches named by <dir>/series in order (quilt format: one file name
// per line, '#' comments, an optional "-pN" after the name is rejected as we
// always apply -p1). Throws InputError naming the series file and line when
// a named patch is missing or a line is malformed.
std::vector<PatchFile> read_patch_series(const std::filesystem::path& dir);

// sha256 over the ordered (name, sha256) pairs; "" for no patches.
std::string patch_series_sha256(const std::vector<PatchFile>& series);

// Files a unified diff modifies or creates ("+++ b/path" lines, -p1).
std::vector<std::string> files_touched_by_patch(std::string_view patch_text);

// The base config and the fragments, in order, as Kconfig reads them.
struct ConfigInputs {
  std::vector<NamedConfig> parts;  // names are the file paths
  std::string allconfig_text;      // their texts, concatenated
};
// Throws InputError (exit status 2) naming the file and line of a bad fragment.
ConfigInputs load_config_inputs(const BuildVariant& variant);

// An option a fragment asked for that Kconfig did not give (a dependency
// missing, a typo, an option this kernel does not have).
struct UnmetOption {
  std::string option, wanted, got, source;  // got "absent" when not in .config
};
// Later parts win, as in merge_kernel_configs; "n" is met by absence.
std::vector<UnmetOption> unmet_config_options(const std::vector<NamedConfig>& parts, const KernelConfig& final_config);
std::string format_unmet_options(const std::vector<UnmetOption>& unmet);

// Everything a build depends on besides the compiler, hashed: a kernel
// built from other inputs must not pass for this variant.
struct BuildKey {
  std::string source_sha256;  // the source tarball
  std::string config_inputs_sha256;
  std::string patches_sha256;
  nlohmann::json to_json() const;
  bool operator==(const BuildKey&) const = default;
};
BuildKey build_key(const std::string& source_sha256, const ConfigInputs& config,
                   const std::vector<PatchFile>& series);

}  // namespace poisonlab
