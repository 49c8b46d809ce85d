#include "kernel/source_build.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"
#include "kernel/build_inputs.h"
#include "kernel/bzimage.h"
#include "kernel/kernel_config.h"

namespace poisonlab {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr const char* kInstallHint = "run ./setup.sh --kernel-build";

fs::path require_build_tool(const std::string& name, const std::string& package) {
  if (auto p = find_program(name)) return *p;
  throw UserError(fmt::format("missing tool {} for kernel builds (Debian package {}; {})", name, package, kInstallHint),
                  kExitBadInput);
}

// Everything `make bzImage` of our configs needs, checked before a long build.
void require_build_tools() {
  for (auto [tool, package] : {std::pair{"make", "make"}, {"gcc", "gcc"}, {"ccache", "ccache"}, {"bc", "bc"},
                               {"bison", "bison"}, {"flex", "flex"}, {"pahole", "dwarves"}, {"patch", "patch"},
                               {"tar", "tar"}, {"xz", "xz-utils"}, {"perl", "perl"}})
    require_build_tool(tool, package);
  for (auto [header, package] : {std::pair{"/usr/include/libelf.h", "libelf-dev"},
                                 {"/usr/include/openssl/ssl.h", "libssl-dev"}}) {
    std::error_code ec;
    if (!fs::exists(header, ec))
      throw UserError(fmt::format("missing {} for kernel builds (Debian package {}; {})", header, package,
                                  kInstallHint),
                      kExitBadInput);
  }
}

// Paths of one variant's build inside the cache.
struct BuildLayout {
  fs::path dir, tree, tree_record, obj, log, record, history, bzimage, config;
  explicit BuildLayout(const fs::path& d)
      : dir(d), tree(d / "tree"), tree_record(d / "tree.json"), obj(d / "obj"), log(d / "build.log"),
        record(d / "kernel.json"), history(d / "builds.jsonl"), bzimage(d / "bzImage"), config(d / "config") {}
};

// A file in the hard-linked tree gets its own inode before it is changed,
// so the extracted source shared by every variant stays pristine.
void unshare_file(const fs::path& file) {
  std::string content = read_file(file);
  auto perms = fs::status(file).permissions();
  fs::remove(file);
  std::ofstream(file, std::ios::binary) << content;
  fs::permissions(file, perms);
}

struct Source {
  fs::path tarball, root;  // root: the extracted linux-source-X.Y folder
  std::string sha256;
};

// Extracts /usr/src/<package>.tar.xz once per tarball content.
Source extract_source(const BuildVariant& variant, const KernelCache& cache, std::ostream& log) {
  Source s;
  s.tarball = debian_source_tarball(variant.debian_source_package);
  std::error_code ec;
  if (!fs::is_regular_file(s.tarball, ec))
    throw UserError(fmt::format("kernel variant {}: {} not found: the Debian package {} is not installed ({})",
                                variant.name, s.tarball.string(), variant.debian_source_package, kInstallHint),
                    kExitBadInput);
  s.sha256 = sha256_file(s.tarball);
  fs::path dir = cache.build_source_dir(variant.debian_source_package, s.sha256);
  s.root = dir / variant.debian_source_package;
  if (fs::is_directory(s.root, ec)) return s;
  auto start = Clock::now();
  fs::path tmp = dir.string() + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  run_checked({"tar", "-xf", s.tarball.string(), "-C", tmp.string()}, {.timeout = std::chrono::minutes(20)});
  if (!fs::is_directory(tmp / variant.debian_source_package, ec))
    throw UserError(fmt::format("{} does not hold a {} folder", s.tarball.string(), variant.debian_source_package));
  fs::rename(tmp, dir);
  log << fmt::format("kernel {}: extracted {} ({:.0f} s)\n", variant.name, s.tarball.string(), seconds_since(start));
  return s;
}

// The variant's tree: a hard-linked copy of the source with the series
// applied. Rebuilt (and the objects dropped, since patched files would be
// older than their objects after a revert) when the source or series changes.
void prepare_tree(const BuildVariant& variant, const Source& source, const std::vector<PatchFile>& series,
                  const BuildLayout& at, std::ostream& log) {
  json wanted = {{"source_sha256", source.sha256}, {"patches_sha256", patch_series_sha256(series)}};
  std::error_code ec;
  if (fs::is_directory(at.tree, ec) && fs::is_regular_file(at.tree_record, ec) &&
      json::parse(read_file(at.tree_record), nullptr, false) == wanted)
    return;
  auto start = Clock::now();
  fs::remove_all(at.tree);
  fs::remove_all(at.obj);
  fs::path tmp = at.tree.string() + ".tmp";
  fs::remove_all(tmp);
  run_checked({"cp", "-al", source.root.string(), tmp.string()}, {.timeout = std::chrono::minutes(10)});
  for (const auto& patch : series) {
    std::string text = read_file(patch.path);
    for (const auto& file : files_touched_by_patch(text))
      if (fs::is_regular_file(tmp / file, ec)) unshare_file(tmp / file);
    auto result = run_command({"patch", "-p1", "--forward", "--batch", "--no-backup-if-mismatch", "-d", tmp.string(),
                               "-i", patch.path.string()},
                              {.merge_stderr = true});
    if (!result.ok())
      throw UserError(fmt::format("kernel variant {}: patch {} does not apply to {} ({}):\n{}", variant.name,
                                  patch.path.string(), variant.debian_source_package, source.tarball.string(),
                                  result.out),
                      kExitBadInput);
  }
  fs::rename(tmp, at.tree);
  write_file_atomic(at.tree_record, wanted.dump(2) + "\n");
  log << fmt::format("kernel {}: source tree ready, {} patches applied ({:.0f} s)\n", variant.name, series.size(),
                     seconds_since(start));
}

std::map<std::string, std::string> build_environment(const KernelCache& cache, bool cold) {
  std::map<std::string, std::string> env = {
      {"CCACHE_DIR", cache.ccache_dir().string()},
      // Paths relative to the build folder and no cwd in the hash, so that
      // the variants' trees share cached objects.
      {"CCACHE_BASEDIR", (cache.kernels_dir() / "build").string()},
      {"CCACHE_NOHASHDIR", "1"},
      {"CCACHE_MAXSIZE", "8G"},
      // A reproducible version string: an unchanged tree rebuilds nothing.
      {"KBUILD_BUILD_TIMESTAMP", "poisonlab"},
      {"KBUILD_BUILD_USER", "poisonlab"},
      {"KBUILD_BUILD_HOST", "poisonlab"},
  };
  if (cold) env["CCACHE_RECACHE"] = "1";  // compile everything, still store the results
  return env;
}

// Runs make with its output appended to the build log; a failure names the
// log and quotes its end.
void run_make(const BuildVariant& variant, const BuildLayout& at, const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env, const std::string& what) {
  std::vector<std::string> argv = {"make", "-C", at.tree.string(), "O=" + at.obj.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  {
    std::ofstream(at.log, std::ios::app) << "$ " << join_command(argv) << "\n";
  }
  SpawnOptions spawn;
  spawn.stdout_path = at.log;
  spawn.stderr_to_stdout = true;
  spawn.extra_env = env;
  auto child = ChildProcess::spawn(argv, spawn);
  int status = child.wait();
  if (status != 0)
    throw UserError(fmt::format("kernel variant {}: {} failed ({}); log: {}\n{}", variant.name, what,
                                describe_wait_status(status), at.log.string(), tail_file(at.log, 25)));
}

// Kconfig drops options whose dependencies are unmet without a word: check
// that every option of the base and fragments made it into .config.
void configure(const BuildVariant& variant, const ConfigInputs& inputs, const BuildLayout& at,
               const std::map<std::string, std::string>& env) {
  fs::create_directories(at.obj);
  fs::path allconfig = at.obj / "poisonlab.allconfig";
  write_file_atomic(allconfig, inputs.allconfig_text);
  run_make(variant, at, {"KCONFIG_ALLCONFIG=" + allconfig.string(), "allnoconfig"}, env, "make allnoconfig");
  auto unmet = unmet_config_options(inputs.parts, load_kernel_config(at.obj / ".config"));
  if (!unmet.empty())
    throw UserError(fmt::format("kernel variant {}: {} config options did not take effect (a dependency is "
                                "missing from the fragments, or the option does not exist in {}):\n{}",
                                variant.name, unmet.size(), variant.debian_source_package,
                                format_unmet_options(unmet)),
                    kExitBadInput);
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// ccache's counters (ccache 4: --print-stats, "name<TAB>value" lines); a
// cold build's compilations count as "recache".
json ccache_counters(const std::map<std::string, std::string>& env) {
  auto result = run_command({"ccache", "--print-stats"}, {.extra_env = env});
  json out = json::object();
  std::istringstream in(result.out);
  std::string name, value;
  while (in >> name >> value)
    if (name == "direct_cache_hit" || name == "preprocessed_cache_hit" || name == "cache_miss" || name == "recache")
      out[name] = std::stoll(value);
  return out;
}

// Size and modification time: enough to notice a reinstalled package.
std::string file_stamp(const fs::path& file) {
  auto time = fs::last_write_time(file).time_since_epoch();
  return fmt::format("{}:{}", fs::file_size(file), std::chrono::duration_cast<std::chrono::seconds>(time).count());
}

json file_entry(const fs::path& file) { return {{"path", file.string()}, {"sha256", sha256_file(file)}}; }

void append_line(const fs::path& file, const std::string& line) {
  std::ofstream out(file, std::ios::app);
  out << line << "\n";
  if (!out) throw UserError(fmt::format("cannot append to {}", file.string()));
}

}  // namespace

fs::path debian_source_tarball(const std::string& package) { return fs::path("/usr/src") / (package + ".tar.xz"); }

BuiltKernel build_kernel(const BuildVariant& variant, const KernelCache& cache, const KernelBuildOptions& options,
                         std::ostream& log) {
  auto total_start = Clock::now();
  require_build_tools();
  auto series = variant.patches.empty() ? std::vector<PatchFile>{} : read_patch_series(variant.patches);
  ConfigInputs config_inputs = load_config_inputs(variant);
  BuildLayout at(cache.build_dir(variant.name));
  fs::create_directories(at.dir);
  Source source = extract_source(variant, cache, log);
  auto tree_start = Clock::now();
  prepare_tree(variant, source, series, at, log);
  double tree_s = seconds_since(tree_start);
  if (options.cold) fs::remove_all(at.obj);
  if (options.change_file) {
    fs::path file = at.tree / *options.change_file;
    std::error_code ec;
    if (options.change_file->find("..") != std::string::npos || !fs::is_regular_file(file, ec))
      throw UserError(fmt::format("--change {}: no such file in the {} tree", *options.change_file, variant.name),
                      kExitBadInput);
    unshare_file(file);
    append_line(file, fmt::format("/* poisonlab one-file change {} */", ::time(nullptr)));
  }
  write_file_atomic(at.log, "");
  auto env = build_environment(cache, options.cold);
  int jobs = options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency()) + 1;
  auto config_start = Clock::now();
  configure(variant, config_inputs, at, env);
  double config_s = seconds_since(config_start);
  run_command({"ccache", "--zero-stats"}, {.extra_env = env});
  auto build_start = Clock::now();
  log << fmt::format("kernel {}: make -j{} bzImage (log: {})\n", variant.name, jobs, at.log.string());
  run_make(variant, at, {fmt::format("-j{}", jobs), "CC=ccache gcc", "bzImage"}, env, "make bzImage");
  double build_s = seconds_since(build_start);
  std::string release = first_line(
      run_checked({"make", "-s", "-C", at.tree.string(), "O=" + at.obj.string(), "kernelrelease"}, {.extra_env = env})
          .out);
  fs::copy_file(at.obj / "arch/x86/boot/bzImage", at.bzimage, fs::copy_options::overwrite_existing);
  fs::path pvh = pvh_image_path(at.dir, at.bzimage);  // made from the previous bzImage
  fs::remove(pvh);
  fs::remove(pvh.string() + ".none");
  fs::copy_file(at.obj / ".config", at.config, fs::copy_options::overwrite_existing);

  json fragments = json::array();
  for (const auto& f : variant.fragments) fragments.push_back(file_entry(f));
  json patches = json::array();
  for (const auto& p : series) patches.push_back({{"name", p.name}, {"sha256", p.sha256}});
  std::string kind = options.cold ? "cold" : options.change_file ? "one-file-change" : "incremental";
  json record = {
      {"variant", variant.name},
      {"release", release},
      {"key", build_key(source.sha256, config_inputs, series).to_json()},
      {"source", {{"package", variant.debian_source_package}, {"tarball", source.tarball.string()},
                  {"sha256", source.sha256}, {"stamp", file_stamp(source.tarball)}}},
      {"base", file_entry(variant.base)},
      {"fragments", fragments},
      {"patches", {{"dir", variant.patches.string()}, {"series", patches}, {"sha256", patch_series_sha256(series)}}},
      {"config_sha256", sha256_file(at.config)},
      {"compiler", first_line(run_checked({"gcc", "--version"}).out)},
      {"ccache", ccache_counters(env)},
      {"jobs", jobs},
      {"cpus", std::thread::hardware_concurrency()},
      {"kind", kind},
      {"changed_file", options.change_file ? json(*options.change_file) : json(nullptr)},
      {"seconds", {{"tree", tree_s}, {"config", config_s}, {"make", build_s}, {"total", seconds_since(total_start)}}},
      {"finished_at", ::time(nullptr)},
      {"bzimage", at.bzimage.string()},
  };
  write_file_atomic(at.record, record.dump(2) + "\n");
  append_line(at.history, record.dump());
  return {at.dir, at.bzimage, at.config, record};
}

BuiltKernel locate_built_kernel(const BuildVariant& variant, const KernelCache& cache) {
  BuildLayout at(cache.build_dir(variant.name));
  std::error_code ec;
  std::string rebuild = fmt::format("run `poisonlab kernel build {}`", variant.name);
  if (!fs::is_regular_file(at.record, ec) || !fs::is_regular_file(at.bzimage, ec))
    throw UserError(fmt::format("kernel variant {} is not built yet ({}): {}", variant.name, at.record.string(),
                                rebuild),
                    kExitBadInput);
  json record = json::parse(read_file(at.record), nullptr, false);
  if (!record.is_object() || !record.contains("key"))
    throw UserError(fmt::format("{}: not a kernel build record: {}", at.record.string(), rebuild), kExitBadInput);
  // Hash the inputs as the registry names them now. The source tarball is
  // compared by size and time (hashing 150 MB on every run is not worth it).
  fs::path tarball = debian_source_tarball(variant.debian_source_package);
  if (!fs::is_regular_file(tarball, ec) || record["source"].value("stamp", "") != file_stamp(tarball))
    throw UserError(fmt::format("kernel variant {} was built from another {} than {} holds now (or it was removed): {}",
                                variant.name, variant.debian_source_package, tarball.string(), rebuild),
                    kExitBadInput);
  auto series = variant.patches.empty() ? std::vector<PatchFile>{} : read_patch_series(variant.patches);
  BuildKey now = build_key(record["key"].value("source_sha256", ""), load_config_inputs(variant), series);
  if (now.to_json() != record["key"])
    throw UserError(fmt::format("kernel variant {} was built from other config fragments or patches than {} names "
                                "now: {}",
                                variant.name, variant.base.parent_path().parent_path().string(), rebuild),
                    kExitBadInput);
  return {at.dir, at.bzimage, at.config, record};
}

}  // namespace poisonlab
