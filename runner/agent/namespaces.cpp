#include "agent/namespaces.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "agent/sysfs.h"
#include "common/error.h"
#include "common/process.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kNdDevices = "/sys/bus/nd/devices";

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

address::PmemLayout NamespaceInfo::layout() const {
  return {region_resource, ns_resource, pfn_resource.value_or(ns_resource)};
}

address::PmemDisk NamespaceInfo::disk() const { return {blockdev, block_majmin, blockdev_bytes, layout()}; }

json NamespaceInfo::to_json() const {
  address::PmemLayout l = layout();
  return json{{"region", {{"dev", region_dev}, {"resource", region_resource}, {"size", region_size}}},
              {"dev", ns_dev},
              {"resource", ns_resource},
              {"mode", mode},
              {"pfn_dev", opt(pfn_dev)},
              {"pfn_resource", opt(pfn_resource)},
              {"blockdev", blockdev},
              {"blockdev_majmin", block_majmin},
              {"blockdev_size", blockdev_bytes},
              {"align", align},
              {"region_offset", l.namespace_offset()},
              {"data_offset", l.data_offset()}};
}

std::vector<std::string> nvdimm_regions() {
  std::vector<std::string> regions;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kNdDevices, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("region", 0) == 0 && fs::exists(kNdDevices / ("namespace" + name.substr(6) + ".0")))
      regions.push_back(name);
  }
  // region10 after region9.
  std::sort(regions.begin(), regions.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return regions;
}

NamespaceInfo create_namespace(const std::string& region, const CellSpec& spec, bool new_when_seed_empty) {
  std::string ns = "namespace" + region.substr(6) + ".0";
  // A labelled region (a CXL region with its LSA) starts with an empty seed
  // namespace, which ndctl cannot reconfigure (it asks for a size): make a
  // new namespace over the whole region instead.
  bool seed_empty = new_when_seed_empty && read_u64_attr(kNdDevices / ns / "size") == 0;
  std::vector<std::string> target = seed_empty ? std::vector<std::string>{"-r", region}
                                               : std::vector<std::string>{"-f", "-e", ns};
  std::vector<std::string> argv = {"ndctl", "create-namespace"};
  argv.insert(argv.end(), target.begin(), target.end());
  argv.insert(argv.end(), {"-m", spec.ns_mode, "-M", spec.ns_map, "-a", spec.ns_align});
  auto r = run_checked(argv, {.timeout = std::chrono::minutes(2)});
  json out = json::parse(r.out, nullptr, false);
  if (out.is_discarded() || !out.is_object() || !out.contains("blockdev"))
    throw UserError("ndctl create-namespace printed no JSON with a blockdev: " + r.out);
  NamespaceInfo info;
  info.region_dev = region;
  info.ns_dev = out.value("dev", ns);
  info.mode = out.value("mode", spec.ns_mode);
  info.blockdev = out["blockdev"].get<std::string>();
  info.align = out.value("align", uint64_t{0});
  info.region_resource = read_u64_attr(kNdDevices / region / "resource");
  info.region_size = read_u64_attr(kNdDevices / region / "size");
  info.ns_resource = read_u64_attr(kNdDevices / info.ns_dev / "resource");
  fs::path block = fs::path("/sys/block") / info.blockdev;
  info.block_majmin = read_attr_checked(block / "dev");
  info.blockdev_bytes = read_u64_attr(block / "size") * address::kSectorSize;
  // The pmem disk's parent is the pfn device whose resource is the data
  // start (namespace start + start_pad + dataoff).
  std::string parent = fs::canonical(block / "device").filename().string();
  if (parent.rfind("pfn", 0) == 0) {
    info.pfn_dev = parent;
    info.pfn_resource = read_u64_attr(kNdDevices / parent / "resource");
  } else if (info.mode == "fsdax") {
    throw UserError("fsdax namespace " + info.ns_dev + " has no pfn device as parent of " + info.blockdev +
                    " (parent is " + parent + ")");
  }
  wait_for_path("/dev/" + info.blockdev, std::chrono::seconds(5));
  return info;
}

std::vector<std::string> region_badblocks(const std::string& region) {
  std::vector<std::string> lines;
  std::istringstream in(read_attr(kNdDevices / region / "badblocks").value_or(""));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace poisonlab::agent
