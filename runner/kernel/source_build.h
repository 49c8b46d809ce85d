#pragma once
// `poisonlab kernel build VARIANT`: a kernel built from a Debian
// linux-source package with a patch series, configured by `make allnoconfig`
// over the small base and the fragments, compiled with ccache, in the cache
// (kernel_cache.h). Every build writes a record (kernel.json) with what it
// was built from (source, config and patch-series sha256, compiler) and how
// long it took; the runner boots only a build whose inputs still match.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "kernel/kernel_cache.h"
#include "kernel/variant_registry.h"

namespace poisonlab {

struct KernelBuildOptions {
  int jobs = 0;       // 0: one more than the number of CPUs
  bool cold = false;  // fresh object folder and no ccache hits (ccache still stores)
  // A source file (relative to the tree) given a one-line change first: a
  // warm rebuild after a one-file change, as developers iterate on a patch.
  std::optional<std::string> change_file;
};

struct BuiltKernel {
  std::filesystem::path dir;  // the variant's build folder
  std::filesystem::path bzimage, config;
  nlohmann::json record;      // kernel.json
};

// Builds (or incrementally rebuilds) the variant and returns its record.
// Throws UserError: a missing tool or source package (exit 2, with what to
// install), a patch that does not apply or a fragment option Kconfig drops
// (exit 2, naming the file), a failed make (with the log path and its tail).
BuiltKernel build_kernel(const BuildVariant& variant, const KernelCache& cache, const KernelBuildOptions& options,
                         std::ostream& log);

// The last build of the variant. Throws UserError (exit 2) when there is
// none, or when its inputs (source, base config, fragments, patches) differ
// from what the registry names now, saying how to rebuild.
BuiltKernel locate_built_kernel(const BuildVariant& variant, const KernelCache& cache);

// /usr/src/<package>.tar.xz, where Debian's linux-source-X.Y installs it.
std::filesystem::path debian_source_tarball(const std::string& package);

}  // namespace poisonlab
