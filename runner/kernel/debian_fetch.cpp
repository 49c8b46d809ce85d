#include "kernel/debian_fetch.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"
#include "kernel/apt_resolve.h"

namespace poisonlab {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kManifest = "kernel.json";
// apt's default Dir::State::lists; `apt-get update` renames files into it.
constexpr const char* kAptLists = "/var/lib/apt/lists";

std::string apt_lists_stamp() {
  std::error_code ec;
  auto t = fs::last_write_time(kAptLists, ec);
  if (ec) return "";
  auto since_epoch = std::chrono::file_clock::to_sys(t).time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Pointer {
  std::string resolution_key, apt_lists, package, version;
};

std::optional<Pointer> read_pointer(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  try {
    auto j = json::parse(read_file(file));
    return Pointer{j.at("resolution_key"), j.at("apt_lists"), j.at("package"), j.at("version")};
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged pointer only costs a fresh resolution
  }
}

void write_pointer(const fs::path& file, const Pointer& p) {
  fs::create_directories(file.parent_path());
  json j = {{"resolution_key", p.resolution_key}, {"apt_lists", p.apt_lists},
            {"package", p.package}, {"version", p.version}};
  write_file_atomic(file, j.dump(2) + "\n");
}

fs::path single_deb(const fs::path& dir) {
  std::vector<fs::path> debs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".deb") debs.push_back(e.path());
  if (debs.size() != 1)
    throw UserError(fmt::format("apt-get download left {} .deb files in {} (expected 1)", debs.size(), dir.string()));
  return debs.front();
}

// The release directory under lib/modules: the package's own name when it
// is there, else the only one.
std::string find_release(const fs::path& tree, const std::string& package) {
  std::string guess = release_from_package(package);
  if (fs::is_directory(tree / "lib/modules" / guess)) return guess;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(tree / "lib/modules")) found.push_back(e.path().filename());
  if (found.size() != 1)
    throw UserError(fmt::format("{}: expected one lib/modules/<release> directory, found {}", package, found.size()));
  return found.front();
}

void write_manifest(const fs::path& dir, const fs::path& tree, const std::string& package,
                    const std::string& version, const std::string& release) {
  fs::path vmlinuz = tree / "boot" / ("vmlinuz-" + release);
  fs::path config = tree / "boot" / ("config-" + release);
  if (!fs::is_regular_file(vmlinuz)) throw UserError(fmt::format("{}: no boot/vmlinuz-{}", package, release));
  if (!fs::is_regular_file(config)) throw UserError(fmt::format("{}: no boot/config-{}", package, release));
  json m = {{"package", package},
            {"version", version},
            {"release", release},
            {"vmlinuz", fs::relative(vmlinuz, dir).string()},
            {"config", fs::relative(config, dir).string()},
            {"config_sha256", sha256_file(config)},
            {"modules_root", fs::relative(tree / "lib/modules" / release, dir).string()}};
  write_file_atomic(dir / kManifest, m.dump(2) + "\n");
}

// Leftovers of an interrupted fetch. Callers hold the cache lock, so no other
// fetch is using them.
void remove_stale_downloads(const fs::path& debian_dir) {
  for (const auto& e : fs::directory_iterator(debian_dir))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(e.path());
}

// apt-get download + dpkg-deb -x + depmod into a temporary directory beside
// the final one, renamed into place when complete.
void fetch(const PackageRef& ref, const fs::path& dir, std::ostream& log) {
  auto apt_get = require_program("apt-get", "apt").string();
  auto dpkg_deb = require_program("dpkg-deb", "dpkg").string();
  auto depmod = require_program("depmod", "kmod").string();
  fs::create_directories(dir.parent_path());
  remove_stale_downloads(dir.parent_path());
  fs::path tmp = dir.parent_path() / fmt::format(".tmp-{}-{}", dir.filename().string(), getpid());
  fs::create_directories(tmp);
  try {
    auto start = std::chrono::steady_clock::now();
    log << fmt::format("kernel: downloading {} {}\n", ref.package, ref.version) << std::flush;
    RunOptions download;
    download.cwd = tmp;  // apt-get download writes into the working directory
    download.merge_stderr = true;
    download.timeout = std::chrono::minutes(30);
    run_checked({apt_get, "download", ref.package + "=" + ref.version}, download);
    fs::path deb = single_deb(tmp);
    log << fmt::format("kernel: downloaded {} ({:.1f} MB) in {:.1f} s; unpacking\n", deb.filename().string(),
                       static_cast<double>(fs::file_size(deb)) / 1e6, seconds_since(start)) << std::flush;
    fs::path tree = tmp / "tree";
    run_checked({dpkg_deb, "-x", deb.string(), tree.string()});
    fs::remove(deb);
    std::string release = find_release(tree, ref.package);
    run_checked({depmod, "-b", tree.string(), release});  // the .deb ships no modules.dep
    write_manifest(tmp, tree, ref.package, ref.version, release);
    fs::remove_all(dir);  // an incomplete earlier attempt
    fs::rename(tmp, dir);
    log << fmt::format("kernel: {} ready in {:.1f} s\n", release, seconds_since(start)) << std::flush;
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace

std::optional<DebianKernel> read_debian_kernel(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / kManifest, ec)) return std::nullopt;
  try {
    auto m = json::parse(read_file(dir / kManifest));
    DebianKernel k{dir, m.at("package"), m.at("version"), m.at("release"), dir / m.at("vmlinuz").get<std::string>(),
                   dir / m.at("config").get<std::string>(), dir / m.at("modules_root").get<std::string>(),
                   m.at("config_sha256")};
    if (!fs::is_regular_file(k.vmlinuz, ec) || !fs::is_regular_file(k.modules_root / "modules.dep", ec))
      return std::nullopt;
    return k;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

DebianKernel locate_or_fetch(const DebianVariant& variant, const KernelCache& cache, std::ostream& log) {
  fs::path pointer_file = cache.variant_pointer(variant.name);
  std::string key = variant.resolution_key();
  std::string lists = apt_lists_stamp();
  std::optional<DebianKernel> cached;
  if (auto p = read_pointer(pointer_file); p && p->resolution_key == key) {
    cached = read_debian_kernel(cache.debian_dir(p->package, p->version));
    if (cached && !lists.empty() && p->apt_lists == lists) {
      log << fmt::format("kernel {}: cached {} {} (apt lists unchanged)\n", variant.name, p->package, p->version);
      return *cached;
    }
  }
  auto fall_back = [&](const UserError& e, const char* what) -> DebianKernel {
    if (!cached) throw;  // called inside a catch block: rethrows the original error
    log << fmt::format("kernel {}: {} failed ({}); using the cached {} {}\n", variant.name, what, e.what(),
                       cached->package, cached->version);
    return *cached;
  };
  PackageRef ref;
  try {
    ref = resolve_debian_package(variant);
  } catch (const UserError& e) {
    return fall_back(e, "resolving with apt-cache");
  }
  fs::path dir = cache.debian_dir(ref.package, ref.version);
  auto kernel = read_debian_kernel(dir);
  if (kernel) {
    log << fmt::format("kernel {}: cached {} {}\n", variant.name, ref.package, ref.version);
  } else {
    try {
      fetch(ref, dir, log);
    } catch (const UserError& e) {
      return fall_back(e, "download");
    }
    kernel = read_debian_kernel(dir);
    if (!kernel) throw UserError(fmt::format("kernel {}: {} is incomplete after unpacking", variant.name, dir.string()));
  }
  write_pointer(pointer_file, {key, lists, ref.package, ref.version});
  return *kernel;
}

}  // namespace poisonlab
