#pragma once
// The storage stack of one cell: fsdax namespaces -> (dm-linear, a dm-linear
// concatenation or dm-stripe over them) -> XFS or ext4 mounted with DAX.
// Each layer that needs undoing has a RAII guard, so an exception or an
// early return still unmounts and removes the dm device.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/stack_map.h"
#include "agent/cell_spec.h"
#include "agent/cxl_region.h"
#include "agent/fsck.h"
#include "agent/namespaces.h"

namespace poisonlab::agent {

// Unmounts on destruction (if still mounted).
class MountGuard {
 public:
  explicit MountGuard(std::filesystem::path mount_point) : mount_point_(std::move(mount_point)) {}
  ~MountGuard();
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  // nullopt on success, else the error; retries while busy.
  std::optional<std::string> unmount();

 private:
  std::filesystem::path mount_point_;
  bool mounted_ = true;
};

// Removes the dm device on destruction (if still present).
class DmDeviceGuard {
 public:
  explicit DmDeviceGuard(std::string name) : name_(std::move(name)) {}
  ~DmDeviceGuard();
  DmDeviceGuard(const DmDeviceGuard&) = delete;
  DmDeviceGuard& operator=(const DmDeviceGuard&) = delete;
  std::optional<std::string> remove();

 private:
  std::string name_;
  bool present_ = true;
};

// The dm table text poisonlab builds for a stack type over the disks (pure).
// Throws UserError when the disks cannot hold it.
std::string dm_table_for(const CellSpec& spec, const std::vector<address::PmemDisk>& disks);

class Stack {
 public:
  // Builds the stack. Environmental failures do not throw: ok() is false
  // and error() says which step failed and why.
  static std::unique_ptr<Stack> build(const CellSpec& spec);
  ~Stack();

  bool ok() const { return !error_; }
  const std::optional<std::string>& error() const { return error_; }
  const std::filesystem::path& mount_point() const { return mount_point_; }
  const std::filesystem::path& fs_device() const { return fs_device_; }
  const std::vector<NamespaceInfo>& namespaces() const { return namespaces_; }
  const address::StackMap& map() const { return map_; }
  // CXL (issue 5): the region the namespace sits on (pmem "cxl" only).
  const std::optional<CxlRegion>& cxl() const { return cxl_; }
  nlohmann::json to_json() const;
  // Unmounts, checks the file system (spec.fsck) and removes the dm device;
  // safe to call twice.
  nlohmann::json teardown();

 private:
  explicit Stack(const CellSpec& spec) : spec_(spec) {}
  void build_steps();
  void create_namespaces();
  void create_dm_device();
  void make_filesystem();
  void mount_filesystem();
  void check_dax();
  FsckResult check_stack_filesystem() const;

  CellSpec spec_;
  std::optional<std::string> error_;
  std::optional<CxlRegion> cxl_;
  nlohmann::json cxl_record_ = nullptr;  // how the region and namespace were made
  std::vector<NamespaceInfo> namespaces_;
  address::StackMap map_;
  std::filesystem::path fs_device_;
  std::filesystem::path mount_point_ = "/tmp/poisonlab/mnt";
  std::optional<std::string> dm_table_text_;
  std::optional<bool> statx_dax_;
  std::optional<bool> mount_dax_option_;
  std::string super_options_;
  nlohmann::json phases_ns_ = nlohmann::json::object();
  std::unique_ptr<DmDeviceGuard> dm_guard_;
  std::unique_ptr<MountGuard> mount_guard_;
  std::optional<nlohmann::json> teardown_;
};

// statx STATX_ATTR_DAX of a path; nullopt if statx fails or the kernel does
// not report the attribute.
std::optional<bool> statx_dax(const std::filesystem::path& path);
// The super options ("rw,attr2,dax=always,...") of the mount at mount_point
// from mountinfo text; nullopt if not mounted there.
std::optional<std::string> super_options_of(const std::string& mountinfo, const std::string& mount_point);

}  // namespace poisonlab::agent
