#pragma once
// A scenario file (scenarios/README.md documents the schema): which kernels,
// which device stacks and which injections to run, how many trials each.
// The loader is strict: unknown keys, wrong types and out-of-range values are
// InputErrors naming the field's JSON pointer.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct VmSpec {
  int cpus = 2;
  int memory_mib = 2048;
  bool operator==(const VmSpec&) const = default;
};

// (Named apart from the target's NvdimmSpec, which is in bytes.)
struct ScenarioNvdimm {
  int size_mib = 1024;  // region size; the label area is extra
  bool operator==(const ScenarioNvdimm&) const = default;
};

struct Topology {
  std::vector<ScenarioNvdimm> nvdimms{ScenarioNvdimm{}};
  bool operator==(const Topology&) const = default;
};

// One device stack under the file system. offset_mib applies to dm-linear.
struct StackSpec {
  std::string type = "raw";  // "raw" | "dm-linear"
  int offset_mib = 0;
  bool operator==(const StackSpec&) const = default;
};

struct FilesystemSpec {
  std::string type = "xfs";
  std::vector<std::string> mkfs_options{"-m", "rmapbt=1"};
  std::vector<std::string> mount_options{"dax=always"};
  bool operator==(const FilesystemSpec&) const = default;
};

struct VictimCounts {
  int early_kill = 2;
  int late_kill = 1;
  int neighbour = 1;
  bool operator==(const VictimCounts&) const = default;
};

struct InjectionSpec {
  std::string method;  // "madvise" | "hwpoison-pfn"
  int offset_pages = 0;
  int pages = 1;
  std::string pacing = "per-page";  // "per-page" | "burst"
  int settle_ms = 1000;
  bool operator==(const InjectionSpec&) const = default;
};

struct Timeouts {
  int boot_s = 120;
  int progress_s = 120;
  bool operator==(const Timeouts&) const = default;
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> kernels;
  VmSpec vm;
  Topology topology;
  std::vector<StackSpec> stacks{StackSpec{}};
  FilesystemSpec filesystem;
  int file_pages = 16;
  VictimCounts victims;
  std::vector<InjectionSpec> injections;
  int trials = 3;
  bool trace = true;
  bool reaccess = true;
  Timeouts timeouts;
  bool operator==(const Scenario&) const = default;
};

// Limits shared by the loader, the documentation and the tests.
inline constexpr int kDmLinearDefaultOffsetMib = 16;
// mkfs.xfs (xfsprogs 6.1) refuses file systems under 300 MB; the namespace
// takes a few MiB more, so every file system gets at least this much.
inline constexpr int kMinFilesystemMib = 384;

Scenario load_scenario(const std::filesystem::path& file);
// file_label names the source in errors (a path, or e.g. "<test>").
Scenario parse_scenario(const nlohmann::json& document, const std::string& file_label);
// The scenario with every default filled in; parse_scenario accepts it back.
nlohmann::json scenario_to_json(const Scenario& scenario);

}  // namespace poisonlab
