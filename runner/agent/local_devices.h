#pragma once
// The agent's local mode (issue 7, the local target): on a lab machine the
// stack is built on existing pmem block devices named on the command line,
// not on namespaces the agent creates on emulated NVDIMM regions. The
// devices are checked again here (target/local/local_safety.h: allowed, not
// mounted, blank unless --force, clear of System RAM), described from sysfs
// like a namespace the agent made, and wiped of the file system poisonlab
// left on them when the agent exits.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "agent/namespaces.h"

namespace poisonlab::agent {

struct LocalDevicesOptions {
  std::vector<std::filesystem::path> devices;        // --device (empty: the allowed ones)
  std::vector<std::filesystem::path> allow_devices;  // --allow-device
  bool force = false;                                // --force
};

// A pmem block device as a NamespaceInfo, from sysfs: its parent is a pfn
// device (fsdax) or the namespace itself (raw). sys_class_block and
// nd_devices are /sys/class/block and /sys/bus/nd/devices (fixtures in
// tests). Throws UserError naming the device when it is not a pmem disk.
NamespaceInfo describe_pmem_device(const std::string& name,
                                   const std::filesystem::path& sys_class_block = "/sys/class/block",
                                   const std::filesystem::path& nd_devices = "/sys/bus/nd/devices");

// Why a cell cannot run on these devices, or nullopt (pure).
std::optional<std::string> local_cell_refusal(const CellSpec& spec, const std::vector<NamespaceInfo>& devices);

class LocalDevices {
 public:
  // Checks and describes the devices; throws UserError(exit 2) on refusal.
  explicit LocalDevices(const LocalDevicesOptions& options);
  ~LocalDevices();
  LocalDevices(const LocalDevices&) = delete;
  LocalDevices& operator=(const LocalDevices&) = delete;

  // The devices a cell's stack uses, in order; throws UserError when the
  // cell cannot run on them (local_cell_refusal).
  std::vector<NamespaceInfo> namespaces_for(const CellSpec& spec) const;
  const std::vector<NamespaceInfo>& devices() const { return devices_; }

 private:
  std::vector<NamespaceInfo> devices_;
};

// The agent serves one machine: in local mode main installs its devices
// (which it owns) once, at start; everywhere else (a VM) there are none.
void install_local_devices(const LocalDevices* devices);
const LocalDevices* local_devices();

}  // namespace poisonlab::agent
