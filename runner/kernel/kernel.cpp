#include "kernel/kernel.h"

#include <fcntl.h>
#include <sys/file.h>

#include <chrono>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"
#include "common/unique_fd.h"
#include "guest_init.h"
#include "kernel/bzimage.h"
#include "kernel/debian_fetch.h"
#include "kernel/initramfs.h"
#include "kernel/module_deps.h"
#include "kernel/source_build.h"
#include "version.h"

namespace poisonlab {
namespace fs = std::filesystem;

namespace {

// Serializes kernel preparation between runner processes sharing a cache.
class CacheLock {
 public:
  explicit CacheLock(const fs::path& file) {
    fs::create_directories(file.parent_path());
    fd_.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_) throw UserError(fmt::format("cannot open lock file {}", file.string()));
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) throw UserError(fmt::format("cannot lock {}", file.string()));
    }
  }  // the lock goes with the descriptor

 private:
  UniqueFd fd_;
};

std::string read_if_exists(const fs::path& file) {
  std::error_code ec;
  return fs::is_regular_file(file, ec) ? read_file(file) : "";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Resolves the module closure and builds the initramfs unless an identical
// one (same modules, same init script) is cached in dir.
void attach_initramfs(KernelArtifacts& a, const fs::path& dir, const ModuleIndex& index,
                      const fs::path& modules_root, const std::vector<ModuleRequest>& requests,
                      const std::vector<std::string>& hash_extra, std::ostream& log) {
  auto closure = index.closure(requests);
  if (!closure.builtin.empty()) log << fmt::format("kernel {}: built in: {}\n", a.variant, join(closure.builtin));
  if (!closure.absent.empty())
    log << fmt::format("kernel {}: not available (optional, skipped): {}\n", a.variant, join(closure.absent));
  std::vector<std::string> key = hash_extra;
  key.insert(key.end(), closure.paths.begin(), closure.paths.end());
  a.initramfs = dir / initramfs_file_name(key, kGuestInitScript);
  for (const auto& p : closure.paths) a.modules.push_back(initramfs_module_name(p));
  std::error_code ec;
  if (fs::is_regular_file(a.initramfs, ec)) return;
  auto start = std::chrono::steady_clock::now();
  InitramfsInputs inputs{find_static_busybox(), kGuestInitScript, modules_root, closure.paths};
  a.modules = build_initramfs(inputs, a.initramfs);
  log << fmt::format("kernel {}: built {} ({} modules, {:.1f} s)\n", a.variant, a.initramfs.filename().string(),
                     a.modules.size(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// The uncompressed kernel ELF in the cache folder dir (bzimage.h), once per
// image: QEMU boots it through its PVH entry and the emulated CPU skips the
// decompressor (seconds under TCG). An image without one (no CONFIG_PVH, an
// unknown compression) leaves a ".pvh.none" note with the reason so later
// runs do not decompress it again; it boots as a bzImage.
void attach_pvh_image(KernelArtifacts& a, const fs::path& dir, std::ostream& log) {
  std::error_code ec;
  fs::path pvh = pvh_image_path(dir, a.vmlinuz);
  fs::path none = pvh.string() + ".none";
  if (fs::is_regular_file(pvh, ec)) a.pvh_image = pvh;
  if (fs::is_regular_file(pvh, ec) || fs::is_regular_file(none, ec)) return;
  auto start = std::chrono::steady_clock::now();
  std::string why;
  try {
    if (write_pvh_image(a.vmlinuz, pvh, why)) {
      a.pvh_image = pvh;
      log << fmt::format("kernel {}: wrote {} (uncompressed, PVH entry; {:.1f} s)\n", a.variant,
                         pvh.filename().string(),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      return;
    }
  } catch (const UserError& e) {
    why = e.what();  // e.g. no zstd on the host: boot the bzImage
  }
  log << fmt::format("kernel {}: booting the compressed image ({})\n", a.variant, why);
  write_file_atomic(none, why + "\n");
}

// --modules may name lib/modules/<release> or lib/modules holding one release.
fs::path modules_root_of(const fs::path& given) {
  std::error_code ec;
  if (!fs::is_directory(given, ec)) throw InputError(given.string(), "", "module directory not found (--modules)");
  if (fs::is_directory(given / "kernel", ec) || fs::exists(given / "modules.dep", ec) ||
      fs::exists(given / "modules.order", ec))
    return fs::canonical(given);
  std::vector<fs::path> releases;
  for (const auto& e : fs::directory_iterator(given))
    if (e.is_directory()) releases.push_back(e.path());
  if (releases.size() != 1)
    throw InputError(given.string(), "",
                     fmt::format("expected a lib/modules/<release> tree, or lib/modules with exactly one release "
                                 "(found {} subdirectories)", releases.size()));
  return fs::canonical(releases.front());
}

// modules.dep of a custom tree; generated with `depmod -n` (stdout only, the
// user's tree is not written) when the tree has none.
std::string custom_modules_dep(const fs::path& root, const fs::path& dir, std::ostream& log) {
  if (auto text = read_if_exists(root / "modules.dep"); !text.empty()) return text;
  fs::path cached = dir / ("modules.dep-" + sha256_hex(root.string()).substr(0, 16));
  if (auto text = read_if_exists(cached); !text.empty()) return text;
  log << fmt::format("kernel custom: {} has no modules.dep; running depmod\n", root.string());
  // depmod wants <base>/lib/modules/<release>: a symlink farm in the cache.
  fs::path base = dir / "depmod-base";
  fs::remove_all(base);
  fs::create_directories(base / "lib/modules");
  fs::create_directory_symlink(root, base / "lib/modules" / root.filename());
  auto out = run_checked({require_program("depmod", "kmod").string(), "-n", "-b", base.string(),
                          root.filename().string()}).out;
  fs::remove_all(base);
  std::string dep = out.substr(0, out.find("\n#"));  // modules.dep comes first, then commented sections
  write_file_atomic(cached, dep + "\n");
  return dep;
}

// A bzImage in a build tree sits at arch/x86/boot/bzImage beside ../../../.config;
// an installed one at /boot/vmlinuz-R beside config-R.
fs::path find_custom_config(const fs::path& image, const std::string& release) {
  std::vector<fs::path> candidates;
  if (!release.empty()) candidates.push_back(image.parent_path() / ("config-" + release));
  candidates.push_back(image.parent_path() / "../../../.config");
  std::error_code ec;
  for (const auto& candidate : candidates)
    if (fs::is_regular_file(candidate, ec)) return fs::canonical(candidate);
  return {};
}

void copy_atomic(const fs::path& from, const fs::path& to) {
  fs::path tmp = to.string() + ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}

}  // namespace

nlohmann::json KernelArtifacts::to_json() const {
  return {{"variant", variant},
          {"release", release},
          {"package", package},
          {"package_version", package_version},
          {"vmlinuz", vmlinuz.string()},
          {"initramfs", initramfs.string()},
          {"config", config.string()},
          {"config_sha256", config_sha256},
          {"modules", modules},
          {"build", build}};
}

fs::path default_variant_registry() { return fs::path(kSourceDir) / "kernel-config" / "variants.json"; }

namespace {

// Built variants have everything built in: an initramfs without modules.
KernelArtifacts prepare_built(const BuildVariant& variant, const KernelCache& cache, std::ostream& log) {
  CacheLock lock(cache.kernels_dir() / ".lock");
  BuiltKernel built = locate_built_kernel(variant, cache);
  KernelArtifacts a;
  a.variant = variant.name;
  a.release = built.record.value("release", "unknown");
  a.vmlinuz = built.bzimage;
  a.config = built.config;
  a.config_sha256 = built.record.value("config_sha256", "");  // hashed when the build copied it
  a.build = built.record;
  attach_initramfs(a, built.dir, ModuleIndex::parse("", ""), {}, {}, {}, log);
  attach_pvh_image(a, built.dir, log);
  return a;
}

}  // namespace

KernelArtifacts prepare_variant(const VariantRegistry& registry, const std::string& name, const KernelCache& cache,
                                std::ostream& log) {
  if (registry.is_build(name)) return prepare_built(registry.build_variant(name), cache, log);
  DebianVariant variant = registry.variant(name);  // unknown name: InputError before any work
  CacheLock lock(cache.kernels_dir() / ".lock");
  DebianKernel kernel = locate_or_fetch(variant, cache, log);
  KernelArtifacts a;
  a.variant = name;
  a.release = kernel.release;
  a.package = kernel.package;
  a.package_version = kernel.version;
  a.vmlinuz = kernel.vmlinuz;
  a.config = kernel.config;
  a.config_sha256 = kernel.config_sha256;
  auto index = ModuleIndex::parse(read_file(kernel.modules_root / "modules.dep"),
                                  read_if_exists(kernel.modules_root / "modules.builtin"));
  try {
    attach_initramfs(a, kernel.dir, index, kernel.modules_root, variant.modules, {}, log);
  } catch (const UserError& e) {
    throw UserError(fmt::format("kernel {} ({}): {}", name, kernel.release, e.what()), e.exit_code());
  }
  attach_pvh_image(a, kernel.dir, log);
  return a;
}

KernelArtifacts prepare_custom(const fs::path& image, const std::optional<fs::path>& modules_dir,
                               const KernelCache& cache, std::ostream& log) {
  auto registry = VariantRegistry::load(default_variant_registry());
  return prepare_custom(image, modules_dir, registry.custom_modules(), cache, log);
}

KernelArtifacts prepare_custom(const fs::path& image, const std::optional<fs::path>& modules_dir,
                               const std::vector<ModuleRequest>& modules, const KernelCache& cache,
                               std::ostream& log) {
  std::error_code ec;
  if (!fs::is_regular_file(image, ec)) throw InputError(image.string(), "", "kernel image not found (--kernel-image)");
  CacheLock lock(cache.kernels_dir() / ".lock");
  std::string image_sha = sha256_file(image);
  fs::path dir = cache.custom_dir(image_sha);
  fs::create_directories(dir);
  KernelArtifacts a;
  a.variant = "custom";
  a.vmlinuz = dir / "vmlinuz";
  if (!fs::is_regular_file(a.vmlinuz, ec)) copy_atomic(image, a.vmlinuz);  // the run keeps working if the build tree changes
  a.release = bzimage_release_of_file(image).value_or("");
  std::vector<ModuleRequest> requests = modules;
  for (auto& r : requests) r.optional = true;  // a custom config may build anything in or leave it out
  if (modules_dir) {
    fs::path root = modules_root_of(*modules_dir);
    std::string tree_release = root.filename();
    if (!a.release.empty() && a.release != tree_release)
      throw InputError(modules_dir->string(), "",
                       fmt::format("modules are for release {} but {} is release {}", tree_release,
                                   image.string(), a.release));
    a.release = tree_release;
    auto index = ModuleIndex::parse(custom_modules_dep(root, dir, log), read_if_exists(root / "modules.builtin"));
    attach_initramfs(a, dir, index, root, requests, {"root:" + root.string()}, log);
  } else {
    log << "kernel custom: no --modules; 9p, virtio, nvdimm and xfs must be built in\n";
    attach_initramfs(a, dir, ModuleIndex::parse("", ""), {}, {}, {}, log);
  }
  a.config = find_custom_config(image, a.release);
  if (!a.config.empty()) a.config_sha256 = sha256_file(a.config);
  if (a.release.empty()) a.release = "unknown";
  attach_pvh_image(a, dir, log);
  return a;
}

}  // namespace poisonlab
