#pragma once
// The storage stack of one cell: fsdax namespace -> (dm-linear) -> XFS
// mounted with DAX. Each layer that needs undoing has a RAII guard, so an
// exception or an early return still unmounts and removes the dm device.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "agent/pfn_math.h"

namespace poisonlab::agent {

struct NamespaceInfo {
  std::string region_dev;  // "region0"
  uint64_t region_resource = 0;
  uint64_t region_size = 0;
  std::string ns_dev;  // "namespace0.0"
  uint64_t ns_resource = 0;
  std::string mode;                    // "fsdax"
  std::optional<std::string> pfn_dev;  // "pfn0.0"
  std::optional<uint64_t> pfn_resource;
  std::string blockdev;   // "pmem0"
  std::string block_majmin;  // "259:0"
  uint64_t blockdev_bytes = 0;
  uint64_t align = 0;
  PmemLayout layout() const;
  nlohmann::json to_json() const;
};

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
  const NamespaceInfo& ns() const { return ns_; }
  // fs_device byte offset -> pmem disk byte offset (through the dm table).
  std::optional<uint64_t> pmem_offset_of(uint64_t fs_device_offset) const;
  nlohmann::json to_json() const;
  // Unmounts and removes the dm device; safe to call twice.
  nlohmann::json teardown();

 private:
  explicit Stack(const CellSpec& spec) : spec_(spec) {}
  void build_steps();
  void create_namespace();
  void create_dm_linear();
  void make_filesystem();
  void mount_filesystem();
  void check_dax();

  CellSpec spec_;
  std::optional<std::string> error_;
  NamespaceInfo ns_;
  std::filesystem::path fs_device_;
  std::filesystem::path mount_point_ = "/tmp/poisonlab/mnt";
  std::optional<std::string> dm_table_text_;
  std::vector<LinearSegment> dm_table_;
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
