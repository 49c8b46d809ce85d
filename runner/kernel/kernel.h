#pragma once
// Kernels for the guest: Debian kernel variants fetched by name into a cache
// outside the source tree, or a custom image, each with an initramfs that
// loads the needed modules and starts the agent (guest_init.sh).
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/kernel_cache.h"
#include "kernel/variant_registry.h"

namespace poisonlab {

struct KernelArtifacts {
  std::string variant;                    // "debian-6.12" or "custom"
  std::string release;                    // e.g. "6.12.95+deb12-amd64"
  std::string package, package_version;   // empty for custom
  std::filesystem::path vmlinuz, initramfs, config;  // config may be empty for custom
  std::string config_sha256;              // "" if no config
  std::vector<std::string> modules;       // module file names in the initramfs, in load order
  std::filesystem::path pvh_image;        // the uncompressed kernel ELF with a PVH entry; empty: none
  nlohmann::json build;                   // source-built variants: the build record (kernel.json); else null
  nlohmann::json to_json() const;
};

// Fetches the variant's kernel (if not cached) and returns its artifacts;
// builds the initramfs if missing. Progress lines go to log. A variant built
// from source must have been built (`poisonlab kernel build`) from the
// inputs the registry names now, else UserError (exit 2) says how.
KernelArtifacts prepare_variant(const VariantRegistry& registry, const std::string& name,
                                const KernelCache& cache, std::ostream& log);

// --kernel-image PATH [--modules DIR]: DIR is a lib/modules/<release> tree (or
// its parent lib/modules holding one release). Loads the registry's "custom"
// module list from default_variant_registry(); every module is optional.
KernelArtifacts prepare_custom(const std::filesystem::path& image,
                               const std::optional<std::filesystem::path>& modules_dir,
                               const KernelCache& cache, std::ostream& log);
// Same with an explicit module list.
KernelArtifacts prepare_custom(const std::filesystem::path& image,
                               const std::optional<std::filesystem::path>& modules_dir,
                               const std::vector<ModuleRequest>& modules, const KernelCache& cache,
                               std::ostream& log);

// <source dir>/kernel-config/variants.json
std::filesystem::path default_variant_registry();

}  // namespace poisonlab
