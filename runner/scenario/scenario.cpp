#include "scenario/scenario.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "scenario/json_reader.h"

namespace poisonlab {
using nlohmann::json;

namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string read_scenario_name(const JsonAt& at) {
  std::string name = read_string(at);
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && is_name_char(c);
  if (!ok) at.fail("expected 1..64 characters from [A-Za-z0-9._-], got " + describe_json(at.value()));
  return name;
}

// Kernel names become path components and parts of cell ids ("k/stack/method").
std::string read_kernel_name(const JsonAt& at) {
  std::string name = read_string(at);
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && c != '/' && static_cast<unsigned char>(c) > ' ' && c != 0x7f;
  if (!ok) at.fail("expected a kernel name of 1..64 characters without '/' or blanks, got " + describe_json(at.value()));
  return name;
}

std::vector<std::string> read_kernels(const JsonAt& at) {
  std::vector<std::string> kernels;
  auto items = read_array(at, 1, 16);
  for (size_t i = 0; i < items.size(); ++i) {
    std::string name = read_kernel_name(items[i]);
    for (size_t j = 0; j < kernels.size(); ++j)
      if (kernels[j] == name) items[i].fail(fmt::format("duplicate kernel \"{}\" (already at /kernels/{})", name, j));
    kernels.push_back(name);
  }
  return kernels;
}

VmSpec read_vm(const JsonAt& at) {
  ObjectReader o(at, {"cpus", "memory_mib"});
  VmSpec vm;
  vm.cpus = o.integer("cpus", 1, 8, vm.cpus);
  vm.memory_mib = o.integer("memory_mib", 512, 16384, vm.memory_mib);
  return vm;
}

ScenarioNvdimm read_nvdimm(const JsonAt& at) {
  ObjectReader o(at, {"size_mib"});
  ScenarioNvdimm nvdimm;
  nvdimm.size_mib = o.integer("size_mib", kMinFilesystemMib, 16384, nvdimm.size_mib);
  if (nvdimm.size_mib % 128 != 0)
    o.required("size_mib").fail(fmt::format("expected a multiple of 128, got {}", nvdimm.size_mib));
  return nvdimm;
}

// CXL (issue 5): topology.cxl, with pmem "cxl".
ScenarioCxl read_cxl(const JsonAt& at) {
  ObjectReader o(at, {"size_mib"});
  ScenarioCxl cxl;
  cxl.size_mib = static_cast<int>(o.integer("size_mib", kMinCxlMib, 16384, cxl.size_mib));
  if (cxl.size_mib % kCxlSizeStepMib != 0)
    o.required("size_mib").fail(fmt::format("expected a multiple of {} (CXL decoder granularity), got {}",
                                            kCxlSizeStepMib, cxl.size_mib));
  return cxl;
}

Topology read_topology(const JsonAt& at) {
  ObjectReader o(at, {"pmem", "nvdimms", "cxl"});
  Topology topology;
  topology.pmem = o.one_of("pmem", {"nvdimm", "cxl"}, topology.pmem);
  if (topology.is_cxl()) {
    if (auto field = o.optional("nvdimms"))
      field->fail("expected no nvdimms with pmem \"cxl\" (the pmem is a CXL region; size it with cxl.size_mib)");
    topology.nvdimms.clear();
    topology.cxl = ScenarioCxl{};
    if (auto field = o.optional("cxl")) topology.cxl = read_cxl(*field);
    return topology;
  }
  if (auto field = o.optional("cxl")) field->fail("expected cxl only with \"pmem\": \"cxl\"");
  if (auto field = o.optional("nvdimms")) {
    topology.nvdimms.clear();
    for (const auto& item : read_array(*field, 1, 4)) topology.nvdimms.push_back(read_nvdimm(item));
  }
  return topology;
}

// Stack, file system and injection names become parts of cell ids.
std::string read_label(const ObjectReader& o) {
  auto field = o.optional("name");
  if (!field) return "";
  std::string name = read_string(*field);
  bool ok = !name.empty() && name.size() <= 32;
  for (char c : name) ok = ok && is_name_char(c);
  if (!ok) field->fail("expected 1..32 characters from [A-Za-z0-9._-], got " + describe_json(field->value()));
  return name;
}

// raw and dm-linear sit on the first NVDIMM (a dm-linear offset must leave
// room for a file system); dm-concat and dm-stripe need two.
StackSpec read_stack(const JsonAt& at, const Topology& topology) {
  const std::vector<std::string> keys{"type", "name", "offset_mib", "chunk_kib"};
  StackSpec stack;
  stack.type = ObjectReader(at, keys).one_of("type", {"raw", "dm-linear", "dm-concat", "dm-stripe"});
  if (stack.type == "raw" || stack.type == "dm-concat") {
    ObjectReader o(at, {"type", "name"});  // no offset or chunk for these
    stack.name = read_label(o);
  } else if (stack.type == "dm-linear") {
    ObjectReader o(at, {"type", "name", "offset_mib"});
    stack.name = read_label(o);
    int first_nvdimm_mib = topology.first_pmem_mib();
    int max_offset = first_nvdimm_mib - kMinFilesystemMib;
    stack.offset_mib = static_cast<int>(o.integer("offset_mib", 0, max_offset, kDmLinearDefaultOffsetMib));
    if (stack.offset_mib > max_offset)  // only the default can get here
      at.fail(fmt::format("the default offset_mib ({}) leaves less than {} MiB of the first {} ({} MiB): "
                          "set offset_mib to 0..{}",
                          stack.offset_mib, kMinFilesystemMib, topology.is_cxl() ? "CXL region" : "NVDIMM",
                          first_nvdimm_mib, max_offset));
  } else {
    ObjectReader o(at, {"type", "name", "chunk_kib"});
    stack.name = read_label(o);
    stack.chunk_kib = static_cast<int>(o.integer("chunk_kib", 4, 1 << 20, stack.chunk_kib));
    if (stack.chunk_kib % 4 != 0)
      o.required("chunk_kib").fail(fmt::format("expected a multiple of 4 (4 KiB pages), got {}", stack.chunk_kib));
  }
  if ((stack.type == "dm-concat" || stack.type == "dm-stripe") && topology.is_cxl())
    at.child("type").fail(fmt::format("a {} stack needs two pmem disks; a \"cxl\" topology has one region "
                                      "(expected raw or dm-linear)", stack.type));
  if ((stack.type == "dm-concat" || stack.type == "dm-stripe") && topology.nvdimms.size() < 2)
    at.child("type").fail(fmt::format("a {} stack needs two NVDIMMs; topology.nvdimms has {}", stack.type,
                                      topology.nvdimms.size()));
  return stack;
}

std::vector<StackSpec> read_stacks(const JsonAt& at, const Topology& topology) {
  std::vector<StackSpec> stacks;
  for (const auto& item : read_array(at, 1, 8)) stacks.push_back(read_stack(item, topology));
  return stacks;
}

std::vector<std::string> read_options(const ObjectReader& o, const std::string& key,
                                      const std::vector<std::string>& fallback) {
  auto field = o.optional(key);
  if (!field) return fallback;
  auto items = read_array(*field, 0, 32);
  std::vector<std::string> options;
  for (const auto& item : items) {
    std::string option = read_string(item);
    if (option.empty()) item.fail("expected a non-empty string");
    options.push_back(option);
  }
  return options;
}

FilesystemSpec read_filesystem(const JsonAt& at) {
  ObjectReader o(at, {"name", "type", "mkfs_options", "mount_options", "sharers"});
  FilesystemSpec fs;
  fs.name = read_label(o);
  fs.type = o.one_of("type", {"xfs", "ext4"}, fs.type);
  if (fs.type == "ext4") {
    fs.mkfs_options = {"-b", "4096"};  // DAX needs page-sized blocks; mke2fs picks 1 KiB below 512 MiB
    fs.mount_options = {"dax"};
  }
  fs.mkfs_options = read_options(o, "mkfs_options", fs.mkfs_options);
  fs.mount_options = read_options(o, "mount_options", fs.mount_options);
  fs.sharers = static_cast<int>(o.integer("sharers", 0, 8, fs.sharers));
  return fs;
}

std::vector<FilesystemSpec> read_filesystems(const JsonAt& at) {
  std::vector<FilesystemSpec> out;
  for (const auto& item : read_array(at, 1, 8)) out.push_back(read_filesystem(item));
  return out;
}

void read_files(const JsonAt& at, Scenario& s) {
  ObjectReader o(at, {"pages", "count"});
  s.file_pages = static_cast<int>(o.integer("pages", 2, kMaxFilePages, s.file_pages));
  s.file_count = static_cast<int>(o.integer("count", 1, kMaxFileCount, s.file_count));
}

VictimCounts read_victims(const JsonAt& at) {
  ObjectReader o(at, {"early_kill", "late_kill", "neighbour"});
  VictimCounts v;
  v.early_kill = static_cast<int>(o.integer("early_kill", 0, kMaxEarlyKill, v.early_kill));
  v.late_kill = static_cast<int>(o.integer("late_kill", 0, kMaxVictimsPerRole, v.late_kill));
  v.neighbour = static_cast<int>(o.integer("neighbour", 0, kMaxVictimsPerRole, v.neighbour));
  return v;
}

TargetSpec read_target(const JsonAt& at, int file_pages) {
  const std::vector<std::string> keys{"space", "offset_pages", "straddle", "sector", "address", "structure", "ag"};
  TargetSpec t;
  t.space = ObjectReader(at, keys).one_of("space", {"file", "device", "physical", "metadata", "free", "namespace"});
  if (t.space == "file") {
    ObjectReader o(at, {"space", "offset_pages", "straddle"});
    if (auto straddle = o.optional("straddle")) {
      t.straddle = read_one_of(*straddle, {"extent-boundary", "stripe-chunk", "concat-seam"});
      if (o.optional("offset_pages")) o.required("offset_pages").fail("expected no offset_pages with straddle");
    } else {
      t.offset_pages = static_cast<int>(o.integer("offset_pages", 0, file_pages - 1));
    }
  } else if (t.space == "device") {
    t.sector = ObjectReader(at, {"space", "sector"}).integer("sector", 0, int64_t{1} << 40);
    if (t.sector % 8 != 0) at.child("sector").fail(fmt::format("expected a multiple of 8 (4 KiB), got {}", t.sector));
  } else if (t.space == "physical") {
    t.address = static_cast<uint64_t>(ObjectReader(at, {"space", "address"}).integer("address", 0, int64_t{1} << 52));
    if (t.address % 4096 != 0) at.child("address").fail(fmt::format("expected a multiple of 4096, got {}", t.address));
  } else if (t.space == "metadata") {
    ObjectReader o(at, {"space", "structure", "ag"});
    t.structure = o.one_of("structure", {"ag-header", "inode-chunk", "btree-block"});
    t.ag = static_cast<int>(o.integer("ag", 0, 1024, 0));
  } else {
    ObjectReader(at, {"space"});
  }
  return t;
}

// A file range of `pages` pages is spread over `count` victim files:
// pages / count of each, from offset_pages.
void check_file_range(const JsonAt& at, const InjectionSpec& inj, int count, const Scenario& s) {
  const TargetSpec& t = inj.target;
  if (count > 1) {
    const char* why = !t.straddle.empty()          ? "a boundary straddle lies in one file"
                      : inj.method == "madvise"    ? "madvise poisons through one injector's mapping of one file"
                      : inj.mce_mode == "ar"       ? "an action-required machine check has one consumer of one file"
                                                   : nullptr;
    if (why) at.fail(fmt::format("expected one victim file ({} victim files: {})", count, why));
    if (inj.pages % count != 0)
      at.child("pages").fail(fmt::format("expected pages divisible by the {} victim files it is spread over, got {}",
                                         count, inj.pages));
  }
  if (!t.straddle.empty()) {
    if (inj.pages + 2 > s.file_pages)
      at.child("pages").fail(fmt::format("expected at most files.pages - 2 ({}) pages across a boundary, got {}",
                                         s.file_pages - 2, inj.pages));
    return;
  }
  int per_file = inj.pages / count;
  std::string spread = count > 1 ? fmt::format(" (pages / {} files)", count) : "";
  if (t.offset_pages + per_file > s.file_pages)
    at.child("pages").fail(fmt::format("expected offset_pages + pages{} <= files.pages ({}), got {} + {} = {}", spread,
                                       s.file_pages, t.offset_pages, per_file, t.offset_pages + per_file));
  if (s.victims.neighbour > 0 && per_file == s.file_pages)
    at.fail(fmt::format(
        "the range covers all {} pages of the file, but victims.neighbour ({}) needs a page outside it: "
        "shrink the range, raise files.pages or set victims.neighbour to 0",
        s.file_pages, s.victims.neighbour));
}

// Every victim file has its own mappers: the agent's process limit is over all of them.
void check_victim_processes(const JsonAt& at, const Scenario& s) {
  int per_file = s.victims.early_kill + s.victims.late_kill + s.victims.neighbour;
  if (s.sweep && s.sweep->parameter == "early_kill") per_file += s.sweep->values.back() - s.victims.early_kill;
  int count = file_counts(s).back();
  if (count * per_file > kMaxVictimProcesses)
    at.fail(fmt::format("expected at most {} victim processes per trial, got {} files x {} victims = {}",
                        kMaxVictimProcesses, count, per_file, count * per_file));
}

InjectionSpec read_injection(const JsonAt& at, const Scenario& s) {
  const int file_pages = s.file_pages;
  ObjectReader o(at, {"name", "method", "target", "offset_pages", "pages", "pacing", "rate_per_s", "settle_ms",
                      "mce_mode", "runner_fault"});
  InjectionSpec inj;
  inj.name = read_label(o);
  // ndctl-inject-error and einj: firmware error injection, for --target local
  // on lab hardware (runner/target/local/README.md).
  inj.method = o.one_of("method", {"madvise", "hwpoison-pfn", "hard-offline", "mce", "badblocks", "unbind",
                                   "cxl-qmp-poison", "cxl-debugfs-poison", "ndctl-inject-error", "einj"});
  if (is_cxl_poison_method(inj.method) && !s.topology.is_cxl())
    o.required("method").fail(fmt::format("expected {} only with \"topology\": {{\"pmem\": \"cxl\"}} (it poisons "
                                          "a CXL device's poison list)", inj.method));
  if (auto target = o.optional("target")) {
    if (o.optional("offset_pages")) o.required("offset_pages").fail("expected either offset_pages or target, not both");
    inj.target = read_target(*target, file_pages);
  } else if (inj.method == "unbind") {
    inj.target.space = "namespace";
  } else {
    inj.target.offset_pages = static_cast<int>(o.integer("offset_pages", 0, file_pages - 1));  // shorthand for a file target
  }
  if (inj.method == "madvise" && inj.target.space != "file")
    at.child("target").fail("expected a file target for madvise (it poisons through a mapping)");
  if ((inj.method == "unbind") != (inj.target.space == "namespace"))
    at.fail(inj.method == "unbind" ? "expected target space \"namespace\" for unbind (or no target)"
                                   : "expected target space \"namespace\" only with method unbind");
  bool whole_device = inj.target.space == "namespace";
  int max_pages = inj.target.space == "file" ? file_pages * file_counts(s).back() : 262144;
  inj.pages = whole_device ? static_cast<int>(o.integer("pages", 1, 1, 1)) : static_cast<int>(o.integer("pages", 1, max_pages));
  inj.pacing = o.one_of("pacing", {"per-page", "burst", "rate"}, inj.pacing);
  if (inj.pacing == "rate")
    inj.rate_per_s = static_cast<int>(o.integer("rate_per_s", 1, 1000000));
  else if (o.optional("rate_per_s"))
    o.required("rate_per_s").fail("expected rate_per_s only with pacing \"rate\"");
  inj.settle_ms = static_cast<int>(o.integer("settle_ms", 1, 60000, inj.settle_ms));
  if (auto mode = o.optional("mce_mode")) {
    if (inj.method != "mce") mode->fail("expected mce_mode only with method mce");
    inj.mce_mode = read_one_of(*mode, {"ao", "ar"});
    if (inj.mce_mode == "ar" && inj.target.space != "file")
      mode->fail("expected a file target for mce_mode \"ar\" (a consumer process maps the page)");
  }
  if (inj.target.space == "file")
    for (int count : file_counts(s)) check_file_range(at, inj, count, s);
  inj.runner_fault = o.one_of("runner_fault", {"guest-panic", "hang", "agent-crash", "qemu-crash"}, "");
  return inj;
}

std::vector<InjectionSpec> read_injections(const JsonAt& at, const Scenario& s) {
  std::vector<InjectionSpec> injections;
  for (const auto& item : read_array(at, 1, 32)) injections.push_back(read_injection(item, s));
  return injections;
}

Checks read_checks(const JsonAt& at) {
  ObjectReader o(at, {"fsck", "soft_offline", "probe_benchmark"});
  Checks c;
  c.fsck = o.boolean("fsck", c.fsck);
  c.soft_offline = o.boolean("soft_offline", c.soft_offline);
  c.probe_benchmark = o.boolean("probe_benchmark", c.probe_benchmark);
  return c;
}

Timeouts read_timeouts(const JsonAt& at) {
  ObjectReader o(at, {"boot_s", "progress_s", "cell_s"});
  Timeouts t;
  t.boot_s = static_cast<int>(o.integer("boot_s", 10, 7200, t.boot_s));
  t.progress_s = static_cast<int>(o.integer("progress_s", 10, 7200, t.progress_s));
  t.cell_s = static_cast<int>(o.integer("cell_s", 30, 86400, t.cell_s));
  return t;
}

// Injection i must stay inside the file (and leave a neighbour page) at the
// widest point of a pages sweep.
void check_sweepable(const JsonAt& values, const Scenario& s, size_t i, int widest) {
  const TargetSpec& t = s.injections[i].target;
  if (t.space == "namespace" || !t.straddle.empty())
    values.fail(fmt::format("expected injections whose range can grow; injections/{} is {}", i,
                            t.space == "namespace" ? "an unbind" : "a boundary straddle"));
  if (t.space != "file") return;
  if (s.file_count > 1)
    for (int value : s.sweep->values)
      if (value % s.file_count != 0)
        values.fail(fmt::format("values divisible by files.count ({}): the range is spread over the files, got {}",
                                s.file_count, value));
  widest /= s.file_count;
  int needed = t.offset_pages + widest + (s.victims.neighbour > 0 && t.offset_pages == 0 ? 1 : 0);
  if (needed > s.file_pages)
    values.fail(fmt::format("values whose widest range fits the file: injections/{} at offset_pages {} with {} pages "
                            "needs files.pages >= {}, got {}",
                            i, t.offset_pages, widest, needed, s.file_pages));
}

// The sweep's parameter and values; checked against the injections once they are read.
Sweep read_sweep(const JsonAt& at) {
  ObjectReader o(at, {"parameter", "values"});
  Sweep sweep;
  sweep.parameter = o.one_of("parameter", {"pages", "early_kill", "files", "trace"});
  int min = sweep.parameter == "trace" ? 0 : 1;
  int max = sweep.parameter == "pages"  ? 262144
            : sweep.parameter == "trace" ? 1
            : sweep.parameter == "files" ? kMaxFileCount
                                         : kMaxEarlyKill;
  for (const auto& item : read_array(o.required("values"), 2, 32)) {
    int value = static_cast<int>(read_integer(item, min, max));
    if (!sweep.values.empty() && value <= sweep.values.back()) item.fail("expected values in ascending order");
    sweep.values.push_back(value);
  }
  return sweep;
}

void check_sweep(const JsonAt& at, const Scenario& s) {
  if (s.sweep->parameter == "pages")
    for (size_t i = 0; i < s.injections.size(); ++i) check_sweepable(at.child("values"), s, i, s.sweep->values.back());
  if (s.sweep->parameter == "files") {
    if (s.file_count != 1)
      at.child("parameter").fail(fmt::format("expected files.count 1 with a files sweep (the sweep sets it), got {}", s.file_count));
    for (size_t i = 0; i < s.injections.size(); ++i)
      if (s.injections[i].target.space != "file")
        at.child("values").fail(fmt::format("expected file targets for a files sweep; injections/{} aims at {}", i,
                                            s.injections[i].target.space));
  }
}

}  // namespace

Scenario parse_scenario(const json& document, const std::string& file_label) {
  ObjectReader top(JsonAt(document, file_label),
                   {"name", "description", "kernels", "vm", "topology", "stacks", "filesystem", "filesystems", "files",
                    "victims", "injections", "sweep", "trials", "trace", "reaccess", "checks", "timeouts", "perf",
                    "fio"});
  Scenario s;
  s.name = read_scenario_name(top.required("name"));
  s.description = top.optional_string("description").value_or("");
  s.kernels = read_kernels(top.required("kernels"));
  if (auto f = top.optional("vm")) s.vm = read_vm(*f);
  if (auto f = top.optional("topology")) s.topology = read_topology(*f);
  if (auto f = top.optional("stacks")) s.stacks = read_stacks(*f, s.topology);
  if (auto f = top.optional("filesystem")) {
    if (top.optional("filesystems")) f->fail("expected either filesystem or filesystems, not both");
    s.filesystems = {read_filesystem(*f)};
  }
  if (auto f = top.optional("filesystems")) s.filesystems = read_filesystems(*f);
  if (auto f = top.optional("files")) read_files(*f, s);
  if (auto f = top.optional("victims")) s.victims = read_victims(*f);
  auto sweep = top.optional("sweep");
  if (sweep) s.sweep = read_sweep(*sweep);  // the injections' ranges are checked at every file count it sets
  s.injections = read_injections(top.required("injections"), s);
  if (sweep) check_sweep(*sweep, s);
  check_victim_processes(top.optional("victims").value_or(top.at()), s);
  if (auto f = top.optional("fio")) s.fio = read_fio(*f, s.file_pages);
  s.trials = top.integer("trials", 1, 1000, s.trials);
  s.trace = top.boolean("trace", s.trace);
  s.reaccess = top.boolean("reaccess", s.reaccess);
  if (auto f = top.optional("checks")) s.checks = read_checks(*f);
  if (auto f = top.optional("timeouts")) s.timeouts = read_timeouts(*f);
  if (auto f = top.optional("perf")) s.perf = read_perf(*f);
  return s;
}

Scenario load_scenario(const std::filesystem::path& file) {
  return parse_scenario(read_json_input(file), file.string());
}

json target_to_json(const TargetSpec& t) {
  json j = {{"space", t.space}};
  if (t.space == "file" && t.straddle.empty()) j["offset_pages"] = t.offset_pages;
  if (!t.straddle.empty()) j["straddle"] = t.straddle;
  if (t.space == "device") j["sector"] = t.sector;
  if (t.space == "physical") j["address"] = t.address;
  if (t.space == "metadata") {
    j["structure"] = t.structure;
    j["ag"] = t.ag;
  }
  return j;
}

std::vector<int> file_counts(const Scenario& s) {
  if (s.sweep && s.sweep->parameter == "files") return s.sweep->values;
  return {s.file_count};
}

json scenario_to_json(const Scenario& s) {
  json nvdimms = json::array();
  for (const auto& n : s.topology.nvdimms) nvdimms.push_back({{"size_mib", n.size_mib}});
  json topology = s.topology.is_cxl()
                      ? json{{"pmem", "cxl"}, {"cxl", {{"size_mib", s.topology.cxl.value_or(ScenarioCxl{}).size_mib}}}}
                      : json{{"pmem", "nvdimm"}, {"nvdimms", nvdimms}};
  json stacks = json::array();
  for (const auto& st : s.stacks) {
    json j = {{"type", st.type}};
    if (!st.name.empty()) j["name"] = st.name;
    if (st.type == "dm-linear") j["offset_mib"] = st.offset_mib;
    if (st.type == "dm-stripe") j["chunk_kib"] = st.chunk_kib;
    stacks.push_back(j);
  }
  json filesystems = json::array();
  for (const auto& f : s.filesystems) {
    json j = {{"type", f.type}, {"mkfs_options", f.mkfs_options}, {"mount_options", f.mount_options}, {"sharers", f.sharers}};
    if (!f.name.empty()) j["name"] = f.name;
    filesystems.push_back(j);
  }
  json injections = json::array();
  for (const auto& i : s.injections) {
    json j = {{"method", i.method}, {"target", target_to_json(i.target)}, {"pages", i.pages},
              {"pacing", i.pacing}, {"settle_ms", i.settle_ms}};
    if (!i.name.empty()) j["name"] = i.name;
    if (i.pacing == "rate") j["rate_per_s"] = i.rate_per_s;
    if (i.method == "mce") j["mce_mode"] = i.mce_mode;
    if (!i.runner_fault.empty()) j["runner_fault"] = i.runner_fault;
    injections.push_back(j);
  }
  json document = {
      {"name", s.name},
      {"description", s.description},
      {"kernels", s.kernels},
      {"vm", {{"cpus", s.vm.cpus}, {"memory_mib", s.vm.memory_mib}}},
      {"topology", topology},
      {"stacks", stacks},
      {"filesystems", filesystems},
      {"files", {{"pages", s.file_pages}, {"count", s.file_count}}},
      {"victims",
       {{"early_kill", s.victims.early_kill}, {"late_kill", s.victims.late_kill}, {"neighbour", s.victims.neighbour}}},
      {"injections", injections},
      {"trials", s.trials},
      {"trace", s.trace},
      {"reaccess", s.reaccess},
      {"checks",
       {{"fsck", s.checks.fsck}, {"soft_offline", s.checks.soft_offline}, {"probe_benchmark", s.checks.probe_benchmark}}},
      {"timeouts", {{"boot_s", s.timeouts.boot_s}, {"progress_s", s.timeouts.progress_s}, {"cell_s", s.timeouts.cell_s}}},
  };
  if (s.sweep) document["sweep"] = {{"parameter", s.sweep->parameter}, {"values", s.sweep->values}};
  if (s.perf) document["perf"] = perf_to_json(*s.perf);
  if (s.fio) document["fio"] = fio_to_json(*s.fio);
  return document;
}

}  // namespace poisonlab
