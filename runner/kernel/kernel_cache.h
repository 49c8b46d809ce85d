#pragma once
// Where fetched kernels and built initramfs images live:
//   <root>/kernels/debian/<package>_<version>/   extracted tree + kernel.json
//   <root>/kernels/variants/<variant>.json         last resolution of a name
//   <root>/kernels/custom/<image sha>/             custom image + initramfs
//   <root>/kernels/build/src/<package>-<tar sha>/  extracted kernel source
//   <root>/kernels/build/<variant>/                 patched tree, objects,
//                                                   build log, bzImage, kernel.json
//   <root>/ccache/                                  compiler cache of kernel builds
#include <filesystem>
#include <string>
#include <vector>

namespace poisonlab {

struct KernelCache {
  std::filesystem::path root;  // <root>/kernels/...
  // $POISONLAB_CACHE, else $XDG_CACHE_HOME/poisonlab, else ~/.cache/poisonlab
  static KernelCache from_environment();

  std::filesystem::path kernels_dir() const { return root / "kernels"; }
  std::filesystem::path debian_dir(const std::string& package, const std::string& version) const;
  std::filesystem::path variant_pointer(const std::string& variant) const;
  std::filesystem::path custom_dir(const std::string& image_sha256) const;
  std::filesystem::path build_source_dir(const std::string& package, const std::string& tarball_sha256) const;
  std::filesystem::path build_dir(const std::string& variant) const;
  std::filesystem::path ccache_dir() const { return root / "ccache"; }
};

// Names an initramfs by what goes into it, so changing the module list or
// the init script rebuilds it and nothing else does.
std::string initramfs_file_name(const std::vector<std::string>& module_paths,
                                const std::string& init_script);

// Package versions contain ':' and '~' (epochs, backports): keep directory
// names to a safe alphabet.
std::string safe_path_component(const std::string& text);

}  // namespace poisonlab
