#pragma once
// Finding a Debian kernel in the cache, or downloading and unpacking it.
#include <filesystem>
#include <ostream>
#include <string>

#include "kernel/kernel_cache.h"
#include "kernel/variant_registry.h"

namespace poisonlab {

// What an unpacked kernel directory holds (kernel.json, written last: a
// directory without it is incomplete and is fetched again).
struct DebianKernel {
  std::filesystem::path dir;
  std::string package, version, release;
  std::filesystem::path vmlinuz, config, modules_root;  // absolute
  std::string config_sha256;
};

// The variant's kernel: the cached one while apt's lists are unchanged since
// it was resolved, else resolved again with apt-cache and fetched if new; if
// resolving or downloading fails, the previously cached kernel (logged).
// The caller holds the cache lock (prepare_variant does).
DebianKernel locate_or_fetch(const DebianVariant& variant, const KernelCache& cache, std::ostream& log);

// Reads kernel.json of a complete kernel directory; nullopt otherwise.
std::optional<DebianKernel> read_debian_kernel(const std::filesystem::path& dir);

}  // namespace poisonlab
