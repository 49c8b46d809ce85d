#include "agent/local_devices.h"

#include <fmt/format.h>

#include "agent/sysfs.h"
#include "common/error.h"
#include "common/process.h"
#include "target/local/local_safety.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;

namespace {

const LocalDevices*& installed() {
  static const LocalDevices* devices = nullptr;
  return devices;
}

// The physical range of the disk's data must not be System RAM (a namespace
// handed to the page allocator with `daxctl reconfigure-device system-ram`).
void check_clear_of_system_ram(const NamespaceInfo& ns) {
  auto iomem = local::parse_iomem(local::HostView().iomem());
  if (auto refusal = local::system_ram_refusal(iomem, ns.layout().data_start, ns.blockdev_bytes,
                                               "/dev/" + ns.blockdev + " at physical range"))
    throw UserError("local target: " + *refusal, local::kExitRefused);
}

}  // namespace

NamespaceInfo describe_pmem_device(const std::string& name, const fs::path& sys_class_block, const fs::path& nd_devices) {
  fs::path block = sys_class_block / name;
  std::error_code ec;
  fs::path parent = fs::canonical(block / "device", ec);
  if (ec || !fs::exists(block / "dev"))
    throw UserError(fmt::format("/dev/{} is not a pmem disk: {} has no device link", name, block.string()),
                    local::kExitRefused);
  NamespaceInfo info;
  info.blockdev = name;
  info.block_majmin = read_attr_checked(block / "dev");
  info.blockdev_bytes = read_u64_attr(block / "size") * address::kSectorSize;
  std::string parent_name = parent.filename().string();
  if (parent_name.rfind("pfn", 0) == 0) {  // fsdax: block -> pfnX.Y, whose namespace attribute names the namespace
    info.pfn_dev = parent_name;
    info.pfn_resource = read_u64_attr(parent / "resource");
    info.ns_dev = read_attr_checked(parent / "namespace");
    if (auto align = read_attr(parent / "align")) info.align = parse_u64(*align);
  } else if (parent_name.rfind("namespace", 0) == 0) {
    info.ns_dev = parent_name;
  } else {
    throw UserError(fmt::format("/dev/{} is not a pmem disk: its parent device is {}, not an nd namespace or pfn device",
                                name, parent.string()),
                    local::kExitRefused);
  }
  info.region_dev = parent.parent_path().filename().string();
  if (info.region_dev.rfind("region", 0) != 0)
    throw UserError(fmt::format("/dev/{}: {} does not sit in an nd region", name, parent.string()), local::kExitRefused);
  info.region_resource = read_u64_attr(nd_devices / info.region_dev / "resource");
  info.region_size = read_u64_attr(nd_devices / info.region_dev / "size");
  info.ns_resource = read_u64_attr(nd_devices / info.ns_dev / "resource");
  // sysfs says "memory" where ndctl says fsdax: the pfn parent is what tells.
  info.mode = info.pfn_dev ? "fsdax" : "raw";
  return info;
}

std::optional<std::string> local_cell_refusal(const CellSpec& spec, const std::vector<NamespaceInfo>& devices) {
  if (spec.cxl())
    return "pmem \"cxl\" makes a CXL region, which the local target does not: name the CXL-backed pmem device "
           "itself with --allow-device and use pmem \"nvdimm\"";
  if (spec.method == "unbind")
    return "unbind takes the namespace away and the local target does not bring it back: it runs on the QEMU "
           "target only";
  if (devices.size() < spec.disks_needed())
    return fmt::format("the {} stack needs {} pmem devices, the local target was given {} (--device / "
                       "--allow-device)",
                       spec.stack_type, spec.disks_needed(), devices.size());
  for (size_t i = 0; i < spec.disks_needed(); ++i) {
    const NamespaceInfo& d = devices[i];
    if (d.mode != spec.ns_mode)
      return fmt::format("/dev/{} ({}) is in {} mode, the cell needs {}: reconfigure it with `ndctl "
                         "create-namespace -f -e {} -m {}`",
                         d.blockdev, d.ns_dev, d.mode, spec.ns_mode, d.ns_dev, spec.ns_mode);
  }
  return std::nullopt;
}

LocalDevices::LocalDevices(const LocalDevicesOptions& options) {
  const auto& paths = options.devices.empty() ? options.allow_devices : options.devices;
  std::vector<local::DeviceId> ids = local::check_devices({paths, options.allow_devices, options.force}, local::HostView());
  for (const auto& id : ids) {
    devices_.push_back(describe_pmem_device(id.name));
    check_clear_of_system_ram(devices_.back());
  }
}

// Leaves the devices as blank as they were found (or as --force allowed):
// the file system poisonlab made is wiped, so the next run's check does not
// take it for the user's.
LocalDevices::~LocalDevices() {
  for (const auto& d : devices_)
    run_command({"wipefs", "--all", "--quiet", "/dev/" + d.blockdev}, {.timeout = std::chrono::seconds(30)});
}

std::vector<NamespaceInfo> LocalDevices::namespaces_for(const CellSpec& spec) const {
  if (auto refusal = local_cell_refusal(spec, devices_)) throw UserError("local target: " + *refusal);
  return {devices_.begin(), devices_.begin() + static_cast<long>(spec.disks_needed())};
}

void install_local_devices(const LocalDevices* devices) { installed() = devices; }

const LocalDevices* local_devices() { return installed(); }

}  // namespace poisonlab::agent
