#include "kernel/kernel_cache.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/fs_util.h"

namespace poisonlab {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

fs::path home_dir() {
  if (auto home = env("HOME"); !home.empty()) return home;
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_dir;
  return fs::current_path();
}

}  // namespace

KernelCache KernelCache::from_environment() {
  if (auto dir = env("POISONLAB_CACHE"); !dir.empty()) return {fs::absolute(dir)};
  if (auto xdg = env("XDG_CACHE_HOME"); !xdg.empty()) return {fs::absolute(fs::path(xdg) / "poisonlab")};
  return {home_dir() / ".cache" / "poisonlab"};
}

std::string safe_path_component(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '+' || c == '-') out.push_back(static_cast<char>(c));
    else out += fmt::format("%{:02x}", c);  // injective: '~' and ':' in versions stay distinct
  }
  return out;
}

fs::path KernelCache::debian_dir(const std::string& package, const std::string& version) const {
  return kernels_dir() / "debian" / (safe_path_component(package) + "_" + safe_path_component(version));
}

fs::path KernelCache::variant_pointer(const std::string& variant) const {
  return kernels_dir() / "variants" / (safe_path_component(variant) + ".json");
}

fs::path KernelCache::custom_dir(const std::string& image_sha256) const {
  return kernels_dir() / "custom" / image_sha256.substr(0, 16);
}

fs::path KernelCache::build_source_dir(const std::string& package, const std::string& tarball_sha256) const {
  return kernels_dir() / "build" / "src" / (safe_path_component(package) + "-" + tarball_sha256.substr(0, 16));
}

fs::path KernelCache::build_dir(const std::string& variant) const {
  return kernels_dir() / "build" / safe_path_component(variant);
}

std::string initramfs_file_name(const std::vector<std::string>& module_paths, const std::string& init_script) {
  nlohmann::json key = {{"modules", module_paths}, {"init", init_script}};
  return "initramfs-" + sha256_hex(key.dump()).substr(0, 16) + ".cpio";
}

}  // namespace poisonlab
