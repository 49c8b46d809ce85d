#pragma once
// Safety checks of the local target (issue 7), run before any cell by the
// runner and again by the agent: poisonlab formats, poisons and unbinds the
// devices it is given, so on a lab machine it touches only what the user
// named. Refused, each with the device, the reason and the flag that would
// allow it:
//   - a device not named by --allow-device (compared by real path and by
//     major:minor, so a symlink or a second node of the device matches);
//   - a mounted device, counting its partitions and every device stacked on
//     it (holders, e.g. a dm device over it), recursively;
//   - a device holding a file system or any other signature, unless --force;
//   - a physical address or range that intersects "System RAM" (at any depth
//     of /proc/iomem's tree, "System RAM (kmem)" too); no flag allows it.
// The parsing and deciding functions are pure; HostView gathers their input.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace poisonlab::local {

// Exit status of every refusal: the command line asked for something unsafe.
inline constexpr int kExitRefused = kExitBadInput;

struct DeviceId {
  std::filesystem::path given;  // as named on the command line
  std::filesystem::path real;   // realpath
  std::string majmin;           // "259:0"
  std::string name;             // its /sys/class/block name, "pmem0"
};

// The same device: equal real paths or equal major:minor.
bool same_device(const DeviceId& a, const DeviceId& b);

// One /proc/self/mountinfo line, the fields the checks need.
struct MountEntry {
  std::string majmin;       // field 3 (for a block-device file system, its device)
  std::string mount_point;  // field 5, octal escapes decoded
  std::string source;       // the field after " - fstype "
};
std::vector<MountEntry> parse_mountinfo(const std::string& text);

// The device's name, its partitions and every device stacked on any of them
// (holders), recursively, as found under sys_class_block (/sys/class/block).
// Each with its major:minor from <name>/dev.
struct StackedDevice {
  std::string name;
  std::string majmin;
  std::string via;  // "" for the device itself, else how it sits on it ("partition of pmem0", "holder of pmem0")
};
std::vector<StackedDevice> stacked_devices(const std::filesystem::path& sys_class_block, const std::string& name);

// `wipefs --json --no-act DEV` and `blkid -p -o export DEV` output -> what
// they found ("xfs at 0x0", "PTTYPE=gpt"); empty when nothing.
std::vector<std::string> parse_wipefs_json(const std::string& text);
std::vector<std::string> parse_blkid_export(const std::string& text);

// One /proc/iomem entry; depth is its nesting (two spaces per level).
struct IomemEntry {
  uint64_t start = 0;
  uint64_t end = 0;  // inclusive
  std::string name;
  int depth = 0;
};
std::vector<IomemEntry> parse_iomem(const std::string& text);
// The first System RAM entry [start, start + bytes) intersects, if any.
// Throws UserError when the text shows no addresses (read without root,
// every range is 0-0): then nothing can be told safe.
std::optional<IomemEntry> system_ram_overlap(const std::vector<IomemEntry>& iomem, uint64_t start, uint64_t bytes);
// nullopt when the range is clear of System RAM, else the refusal message.
std::optional<std::string> system_ram_refusal(const std::vector<IomemEntry>& iomem, uint64_t start, uint64_t bytes,
                                              const std::string& what);

// What the checks read from the machine; tests give fixtures.
class HostView {
 public:
  virtual ~HostView() = default;
  // nullopt when path is not a block device (or does not exist).
  virtual std::optional<DeviceId> block_device(const std::filesystem::path& path) const;
  virtual std::string mountinfo() const;
  virtual std::filesystem::path sys_class_block() const { return "/sys/class/block"; }
  // Signatures on the device (wipefs and blkid probes).
  virtual std::vector<std::string> signatures(const std::filesystem::path& device) const;
  virtual std::string iomem() const;
};

struct DeviceCheckRequest {
  std::vector<std::filesystem::path> devices;        // what the cells will use
  std::vector<std::filesystem::path> allow_devices;  // --allow-device
  bool force = false;                                // --force
};

// Every refusal for the request's devices (empty: all safe). Pure but for
// what view reads.
std::vector<std::string> device_refusals(const DeviceCheckRequest& request, const HostView& view);
// The devices, identified; throws UserError(kExitRefused) listing every
// refusal at once.
std::vector<DeviceId> check_devices(const DeviceCheckRequest& request, const HostView& view);

// A cell id and its CellSpec JSON (PROTOCOL.md).
using NamedCellSpec = std::pair<std::string, nlohmann::json>;
// The physical ranges the cells target directly ("space": "physical"),
// each checked against System RAM; throws UserError(kExitRefused) naming
// each refused cell and range.
void check_physical_targets(const std::vector<NamedCellSpec>& cells, const std::vector<IomemEntry>& iomem);

}  // namespace poisonlab::local
