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

Topology read_topology(const JsonAt& at) {
  ObjectReader o(at, {"nvdimms"});
  Topology topology;
  if (auto field = o.optional("nvdimms")) {
    topology.nvdimms.clear();
    for (const auto& item : read_array(*field, 1, 4)) topology.nvdimms.push_back(read_nvdimm(item));
  }
  return topology;
}

// The file system lives on the first NVDIMM; a dm-linear offset must leave
// it room for one.
StackSpec read_stack(const JsonAt& at, int first_nvdimm_mib) {
  StackSpec stack;
  stack.type = ObjectReader(at, {"type", "offset_mib"}).one_of("type", {"raw", "dm-linear"});
  if (stack.type == "raw") {
    ObjectReader(at, {"type"});  // offset_mib means nothing for raw
  } else {
    ObjectReader o(at, {"type", "offset_mib"});
    int max_offset = first_nvdimm_mib - kMinFilesystemMib;
    stack.offset_mib = o.integer("offset_mib", 0, max_offset, kDmLinearDefaultOffsetMib);
    if (stack.offset_mib > max_offset)  // only the default can get here
      at.fail(fmt::format("the default offset_mib ({}) leaves less than {} MiB of the first NVDIMM ({} MiB): "
                          "set offset_mib to 0..{}",
                          stack.offset_mib, kMinFilesystemMib, first_nvdimm_mib, max_offset));
  }
  return stack;
}

std::vector<StackSpec> read_stacks(const JsonAt& at, int first_nvdimm_mib) {
  std::vector<StackSpec> stacks;
  for (const auto& item : read_array(at, 1, 8)) stacks.push_back(read_stack(item, first_nvdimm_mib));
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
  ObjectReader o(at, {"type", "mkfs_options", "mount_options"});
  FilesystemSpec fs;
  fs.type = o.one_of("type", {"xfs"}, fs.type);
  fs.mkfs_options = read_options(o, "mkfs_options", fs.mkfs_options);
  fs.mount_options = read_options(o, "mount_options", fs.mount_options);
  return fs;
}

int read_files(const JsonAt& at) { return ObjectReader(at, {"pages"}).integer("pages", 2, 4096, 16); }

VictimCounts read_victims(const JsonAt& at) {
  ObjectReader o(at, {"early_kill", "late_kill", "neighbour"});
  VictimCounts v;
  v.early_kill = o.integer("early_kill", 0, 64, v.early_kill);
  v.late_kill = o.integer("late_kill", 0, 64, v.late_kill);
  v.neighbour = o.integer("neighbour", 0, 64, v.neighbour);
  return v;
}

InjectionSpec read_injection(const JsonAt& at, int file_pages, const VictimCounts& victims) {
  ObjectReader o(at, {"method", "offset_pages", "pages", "pacing", "settle_ms"});
  InjectionSpec inj;
  inj.method = o.one_of("method", {"madvise", "hwpoison-pfn"});
  inj.offset_pages = o.integer("offset_pages", 0, file_pages - 1);
  inj.pages = o.integer("pages", 1, file_pages);
  if (inj.offset_pages + inj.pages > file_pages)
    o.required("pages").fail(fmt::format("expected offset_pages + pages <= files.pages ({}), got {} + {} = {}",
                                         file_pages, inj.offset_pages, inj.pages, inj.offset_pages + inj.pages));
  inj.pacing = o.one_of("pacing", {"per-page", "burst"}, inj.pacing);
  inj.settle_ms = o.integer("settle_ms", 1, 60000, inj.settle_ms);
  if (victims.neighbour > 0 && inj.pages == file_pages)
    at.fail(fmt::format(
        "the range covers all {} pages of the file, but victims.neighbour ({}) needs a page outside it: "
        "shrink the range, raise files.pages or set victims.neighbour to 0",
        file_pages, victims.neighbour));
  return inj;
}

std::vector<InjectionSpec> read_injections(const JsonAt& at, int file_pages, const VictimCounts& victims) {
  std::vector<InjectionSpec> injections;
  for (const auto& item : read_array(at, 1, 16)) injections.push_back(read_injection(item, file_pages, victims));
  return injections;
}

Timeouts read_timeouts(const JsonAt& at) {
  ObjectReader o(at, {"boot_s", "progress_s"});
  Timeouts t;
  t.boot_s = o.integer("boot_s", 10, 7200, t.boot_s);
  t.progress_s = o.integer("progress_s", 10, 7200, t.progress_s);
  return t;
}

}  // namespace

Scenario parse_scenario(const json& document, const std::string& file_label) {
  ObjectReader top(JsonAt(document, file_label),
                   {"name", "description", "kernels", "vm", "topology", "stacks", "filesystem", "files",
                    "victims", "injections", "trials", "trace", "reaccess", "timeouts"});
  Scenario s;
  s.name = read_scenario_name(top.required("name"));
  s.description = top.optional_string("description").value_or("");
  s.kernels = read_kernels(top.required("kernels"));
  if (auto f = top.optional("vm")) s.vm = read_vm(*f);
  if (auto f = top.optional("topology")) s.topology = read_topology(*f);
  if (auto f = top.optional("stacks")) s.stacks = read_stacks(*f, s.topology.nvdimms.front().size_mib);
  if (auto f = top.optional("filesystem")) s.filesystem = read_filesystem(*f);
  if (auto f = top.optional("files")) s.file_pages = read_files(*f);
  if (auto f = top.optional("victims")) s.victims = read_victims(*f);
  s.injections = read_injections(top.required("injections"), s.file_pages, s.victims);
  s.trials = top.integer("trials", 1, 1000, s.trials);
  s.trace = top.boolean("trace", s.trace);
  s.reaccess = top.boolean("reaccess", s.reaccess);
  if (auto f = top.optional("timeouts")) s.timeouts = read_timeouts(*f);
  return s;
}

Scenario load_scenario(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const UserError& e) {
    throw InputError(file.string(), "", e.what());
  }
  return parse_scenario(parse_json_strict(text, file.string()), file.string());
}

json scenario_to_json(const Scenario& s) {
  json nvdimms = json::array();
  for (const auto& n : s.topology.nvdimms) nvdimms.push_back({{"size_mib", n.size_mib}});
  json stacks = json::array();
  for (const auto& st : s.stacks) {
    json j = {{"type", st.type}};
    if (st.type == "dm-linear") j["offset_mib"] = st.offset_mib;
    stacks.push_back(j);
  }
  json injections = json::array();
  for (const auto& i : s.injections)
    injections.push_back({{"method", i.method},
                          {"offset_pages", i.offset_pages},
                          {"pages", i.pages},
                          {"pacing", i.pacing},
                          {"settle_ms", i.settle_ms}});
  return {
      {"name", s.name},
      {"description", s.description},
      {"kernels", s.kernels},
      {"vm", {{"cpus", s.vm.cpus}, {"memory_mib", s.vm.memory_mib}}},
      {"topology", {{"nvdimms", nvdimms}}},
      {"stacks", stacks},
      {"filesystem",
       {{"type", s.filesystem.type},
        {"mkfs_options", s.filesystem.mkfs_options},
        {"mount_options", s.filesystem.mount_options}}},
      {"files", {{"pages", s.file_pages}}},
      {"victims",
       {{"early_kill", s.victims.early_kill}, {"late_kill", s.victims.late_kill}, {"neighbour", s.victims.neighbour}}},
      {"injections", injections},
      {"trials", s.trials},
      {"trace", s.trace},
      {"reaccess", s.reaccess},
      {"timeouts", {{"boot_s", s.timeouts.boot_s}, {"progress_s", s.timeouts.progress_s}}},
  };
}

}  // namespace poisonlab
