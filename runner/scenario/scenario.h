#pragma once
// A scenario file (scenarios/README.md documents the schema): which kernels,
// which device stacks and which injections to run, how many trials each.
// The loader is strict: unknown keys, wrong types and out-of-range values are
// InputErrors naming the field's JSON pointer.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/fio_scenario.h"
#include "scenario/perf_spec.h"

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

// CXL (issue 5): one CXL type-3 device with persistent memory and a label
// area behind a host bridge and root port; the agent creates a pmem region
// on it with `cxl create-region` and an fsdax namespace in that region.
struct ScenarioCxl {
  int size_mib = 1024;  // the device's persistent capacity (= the region); a multiple of 256
  bool operator==(const ScenarioCxl&) const = default;
};

struct Topology {
  std::string pmem = "nvdimm";  // "nvdimm" | "cxl": what backs the pmem disks
  std::vector<ScenarioNvdimm> nvdimms{ScenarioNvdimm{}};  // empty with pmem "cxl"
  std::optional<ScenarioCxl> cxl;                         // pmem "cxl" only
  bool is_cxl() const { return pmem == "cxl"; }
  // Pmem disks the topology gives the stacks (one with CXL).
  size_t pmem_disks() const { return is_cxl() ? 1 : nvdimms.size(); }
  // MiB of the first pmem disk's region.
  int first_pmem_mib() const { return is_cxl() ? cxl.value_or(ScenarioCxl{}).size_mib : nvdimms.front().size_mib; }
  bool operator==(const Topology&) const = default;
};

// One device stack under the file system: raw pmem, dm-linear at an offset
// into the first NVDIMM, a dm-linear concatenation of the first two, or
// dm-stripe over the first two.
struct StackSpec {
  std::string type = "raw";  // "raw" | "dm-linear" | "dm-concat" | "dm-stripe"
  int offset_mib = 0;        // dm-linear
  int chunk_kib = 64;        // dm-stripe
  std::string name;          // cell id label; default: the type
  bool operator==(const StackSpec&) const = default;
};

struct FilesystemSpec {
  std::string name;  // cell id label; default: the type
  std::string type = "xfs";  // "xfs" | "ext4"
  std::vector<std::string> mkfs_options{"-m", "rmapbt=1"};
  std::vector<std::string> mount_options{"dax=always"};
  int sharers = 0;  // reflink clones of the victim file, each with an early-kill mapper
  bool operator==(const FilesystemSpec&) const = default;
};

struct VictimCounts {
  int early_kill = 2;
  int late_kill = 1;
  int neighbour = 1;
  bool operator==(const VictimCounts&) const = default;
};

// Where an injection aims (PROTOCOL.md, CellSpec target).
struct TargetSpec {
  std::string space = "file";  // file | device | physical | metadata | free | namespace
  int offset_pages = 0;        // file, without straddle
  std::string straddle;        // file: extent-boundary | stripe-chunk | concat-seam
  int64_t sector = 0;          // device
  uint64_t address = 0;        // physical
  std::string structure;       // metadata: ag-header | inode-chunk | btree-block
  int ag = 0;                  // metadata
  bool operator==(const TargetSpec&) const = default;
};

struct InjectionSpec {
  std::string name;    // cell id label; default: the method
  // madvise | hwpoison-pfn | hard-offline | mce | badblocks | unbind |
  // cxl-qmp-poison | cxl-debugfs-poison (CXL poison lists; topology pmem "cxl" only)
  std::string method;
  TargetSpec target;
  int pages = 1;
  std::string pacing = "per-page";  // "per-page" | "burst" | "rate"
  int rate_per_s = 0;               // pacing "rate"
  int settle_ms = 1000;
  std::string mce_mode = "ao";  // mce: "ao" action optional | "ar" action required
  // A self-test of the runner: instead of running the cell, provoke this
  // fault (guest-panic | hang | agent-crash | qemu-crash) and let the runner
  // judge it. Empty in every real scenario.
  std::string runner_fault;
  bool operator==(const InjectionSpec&) const = default;
};

struct Checks {
  bool fsck = true;          // xfs_repair -n / e2fsck -fn after each cell
  bool soft_offline = true;  // MADV_SOFT_OFFLINE on a DAX page in each cell's first trial
  bool probe_benchmark = false;  // the in-guest probe benchmark after each cell's trials
  bool operator==(const Checks&) const = default;
};

struct Timeouts {
  int boot_s = 120;
  int progress_s = 120;
  int cell_s = 900;  // a whole cell, heartbeats or not
  bool operator==(const Timeouts&) const = default;
};

// A series of cells that differ in one parameter: every injection runs once
// per value, and the report fits how latency scales with it.
struct Sweep {
  // "pages" (the injected range) | "early_kill" (mappers per file) | "files"
  // (victim files the range is spread over) | "trace" (0: off, 1: on; the
  // same cell with and without tracing, for its overhead)
  std::string parameter;
  std::vector<int> values;  // ascending
  bool operator==(const Sweep&) const = default;
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> kernels;
  VmSpec vm;
  Topology topology;
  std::vector<StackSpec> stacks{StackSpec{}};
  std::vector<FilesystemSpec> filesystems{FilesystemSpec{}};
  int file_pages = 16;
  int file_count = 1;  // victim files per trial; a file range is spread evenly over them
  VictimCounts victims;
  std::vector<InjectionSpec> injections;
  std::optional<Sweep> sweep;
  std::optional<FioSpec> fio;  // fio jobs under fault
  int trials = 3;
  bool trace = true;
  bool reaccess = true;
  Checks checks;
  Timeouts timeouts;
  std::optional<PerfSpec> perf;  // none: no perf
  bool operator==(const Scenario&) const = default;
};

// Limits shared by the loader, the documentation and the tests.
inline constexpr int kDmLinearDefaultOffsetMib = 16;
// Processes per victim role (the agent's limit too).
inline constexpr int kMaxVictimsPerRole = 32;
// Early-kill mappers go to 1000: the mapper sweep's scale (the agent's limit too).
inline constexpr int kMaxEarlyKill = 1000;
// Victim files up to 2 GiB: a 1 GiB range sweep needs a file that holds it.
inline constexpr int kMaxFilePages = 524288;
// Victim files per trial (files.count, the files sweep); each has its own victims.
inline constexpr int kMaxFileCount = 256;
// Victim processes of one trial over all its files (the agent raises its
// descriptor limit for them).
inline constexpr int kMaxVictimProcesses = 1100;
// mkfs.xfs (xfsprogs 6.1) refuses file systems under 300 MB; the namespace
// takes a few MiB more, so every file system gets at least this much.
inline constexpr int kMinFilesystemMib = 384;
// CXL: the device capacity and the region go in 256 MiB steps (the decoders'
// granularity); a region holds an fsdax namespace and a file system.
inline constexpr int kCxlSizeStepMib = 256;
inline constexpr int kMinCxlMib = 512;
// Injection methods that put poison in a CXL device's poison list.
inline bool is_cxl_poison_method(const std::string& method) {
  return method == "cxl-qmp-poison" || method == "cxl-debugfs-poison";
}

Scenario load_scenario(const std::filesystem::path& file);
// file_label names the source in errors (a path, or e.g. "<test>").
Scenario parse_scenario(const nlohmann::json& document, const std::string& file_label);
// An injection's target as the CellSpec carries it (PROTOCOL.md).
nlohmann::json target_to_json(const TargetSpec& target);
// The scenario with every default filled in; parse_scenario accepts it back.
nlohmann::json scenario_to_json(const Scenario& scenario);
// The victim file counts a scenario's cells use: files.count, or every value
// of a files sweep.
std::vector<int> file_counts(const Scenario& scenario);

}  // namespace poisonlab
