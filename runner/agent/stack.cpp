#include "agent/stack.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "agent/clock.h"
#include "agent/fsck.h"
#include "agent/local_devices.h"
#include "agent/sysfs.h"
#include "common/error.h"
#include "common/process.h"
#include "common/unique_fd.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

namespace poisonlab::agent {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDmName = "poisonlab0";

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); }

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// Runs step(), storing its duration under name in phases.
template <typename F>
void timed(json& phases, const char* name, F&& step) {
  uint64_t t0 = monotonic_ns();
  step();
  phases[name] = monotonic_ns() - t0;
}

bool dm_device_exists(const std::string& name) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    auto n = read_attr(e.path() / "dm" / "name");
    if (n && *n == name) return true;
  }
  return false;
}

}  // namespace

MountGuard::~MountGuard() {
  if (mounted_) unmount();
}

std::optional<std::string> MountGuard::unmount() {
  if (!mounted_) return std::nullopt;
  // umount(8) in a child, not umount2 here: evicting inodes of a file system
  // whose device was pulled away can oops, and an oops must take down the
  // child, not the agent that still has the cell's observation to send.
  std::string last;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto r = run_command({"umount", mount_point_.string()}, {.timeout = std::chrono::minutes(1), .merge_stderr = true});
    if (r.ok() || r.out.find("not mounted") != std::string::npos) {
      mounted_ = false;
      return std::nullopt;
    }
    last = r.timed_out ? "timed out" : r.term_signal ? "killed by signal " + std::to_string(r.term_signal) : r.out;
    if (r.out.find("busy") == std::string::npos) break;  // victims may take a moment to drop their mappings
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  while (!last.empty() && last.back() == '\n') last.pop_back();
  return "umount " + mount_point_.string() + ": " + last;
}

DmDeviceGuard::~DmDeviceGuard() {
  if (present_) remove();
}

std::optional<std::string> DmDeviceGuard::remove() {
  if (!present_) return std::nullopt;
  auto r = run_command({"dmsetup", "remove", "--noudevsync", name_}, {.merge_stderr = true});
  if (!r.ok()) return "dmsetup remove " + name_ + ": " + r.out;
  present_ = false;
  return std::nullopt;
}

std::string dm_table_for(const CellSpec& spec, const std::vector<address::PmemDisk>& disks) {
  if (disks.size() < spec.disks_needed())
    throw UserError(fmt::format("a {} stack needs {} NVDIMMs, the VM has {}", spec.stack_type, spec.disks_needed(),
                                disks.size()));
  auto sectors = [](const address::PmemDisk& d) { return d.size_bytes / address::kSectorSize; };
  if (spec.stack_type == "dm-linear") {
    uint64_t total = sectors(disks[0]);
    if (spec.dm_offset_sectors >= total)
      throw UserError(fmt::format("dm-linear offset {} sectors is past the end of {} ({} sectors)",
                                  spec.dm_offset_sectors, disks[0].name, total));
    return fmt::format("0 {} linear {} {}\n", total - spec.dm_offset_sectors, disks[0].majmin, spec.dm_offset_sectors);
  }
  if (spec.stack_type == "dm-concat")
    return fmt::format("0 {} linear {} 0\n{} {} linear {} 0\n", sectors(disks[0]), disks[0].majmin, sectors(disks[0]),
                       sectors(disks[1]), disks[1].majmin);
  if (spec.stack_type == "dm-stripe") {
    uint64_t chunk = spec.chunk_sectors;
    uint64_t per_leg = std::min(sectors(disks[0]), sectors(disks[1])) / chunk * chunk;
    if (per_leg == 0) throw UserError("dm-stripe: the NVDIMMs are smaller than one chunk");
    return fmt::format("0 {} striped 2 {} {} 0 {} 0\n", 2 * per_leg, chunk, disks[0].majmin, disks[1].majmin);
  }
  throw UserError("no dm table for stack type " + spec.stack_type);
}

std::unique_ptr<Stack> Stack::build(const CellSpec& spec) {
  std::unique_ptr<Stack> s(new Stack(spec));
  s->build_steps();
  return s;
}

Stack::~Stack() { teardown(); }

void Stack::build_steps() {
  const char* step = "namespace";
  try {
    timed(phases_ns_, "namespace", [&] { create_namespaces(); });
    step = "dm";
    if (spec_.stack_type != "raw") {
      timed(phases_ns_, "dm", [&] { create_dm_device(); });
    } else {
      fs_device_ = "/dev/" + namespaces_[0].blockdev;
      map_ = address::StackMap({namespaces_[0].disk()}, std::nullopt);
      phases_ns_["dm"] = nullptr;
    }
    step = "mkfs";
    timed(phases_ns_, "mkfs", [&] { make_filesystem(); });
    step = "mount";
    timed(phases_ns_, "mount", [&] { mount_filesystem(); });
    step = "dax";
    check_dax();
  } catch (const std::exception& e) {
    error_ = std::string(step) + ": " + e.what();
  }
}

void Stack::create_namespaces() {
  if (const LocalDevices* local = local_devices()) {  // the local target (issue 7): the existing devices it was given
    namespaces_ = local->namespaces_for(spec_);
    return;
  }
  if (spec_.cxl()) {  // CXL (issue 5): one region on the type-3 device, one namespace in it
    json region_record, namespace_record;
    cxl_record_ = json::object();
    try {
      cxl_ = ensure_cxl_region(region_record);
      cxl_record_["region_setup"] = region_record;
      namespaces_.push_back(create_cxl_namespace(*cxl_, spec_, namespace_record));
      cxl_record_["namespace_setup"] = namespace_record;
    } catch (...) {
      cxl_record_["region_setup"] = region_record;
      cxl_record_["namespace_setup"] = namespace_record;
      throw;
    }
    return;
  }
  std::vector<std::string> regions = nvdimm_regions();
  if (regions.size() < spec_.disks_needed())
    throw UserError(fmt::format("the {} stack needs {} NVDIMM regions with a namespace, found {} under /sys/bus/nd/devices",
                                spec_.stack_type, spec_.disks_needed(), regions.size()));
  for (size_t i = 0; i < spec_.disks_needed(); ++i) namespaces_.push_back(create_namespace(regions[i], spec_));
}

void Stack::create_dm_device() {
  if (dm_device_exists(kDmName)) run_command({"dmsetup", "remove", "--noudevsync", kDmName});
  std::vector<address::PmemDisk> disks;
  for (const auto& ns : namespaces_) disks.push_back(ns.disk());
  std::string table = dm_table_for(spec_, disks);
  run_checked({"dmsetup", "create", kDmName, "--noudevsync"}, {.merge_stderr = true, .input = table});
  dm_guard_ = std::make_unique<DmDeviceGuard>(kDmName);
  run_checked({"dmsetup", "mknodes", kDmName}, {.merge_stderr = true});
  fs_device_ = fs::path("/dev/mapper") / kDmName;
  wait_for_path(fs_device_, std::chrono::seconds(5));
  // What the kernel holds, not what was asked for, is what the addresses follow.
  std::string text = run_checked({"dmsetup", "table", kDmName}).out;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  dm_table_text_ = text;
  map_ = address::StackMap(disks, address::DmTable::parse(text));
}

void Stack::make_filesystem() {
  std::vector<std::string> argv;
  if (spec_.fs_type == "ext4") {
    require_program("mkfs.ext4", "e2fsprogs");
    argv = {"mkfs.ext4", "-F", "-q"};
  } else {
    require_program("mkfs.xfs", "xfsprogs");
    argv = {"mkfs.xfs", "-f"};
  }
  argv.insert(argv.end(), spec_.mkfs_options.begin(), spec_.mkfs_options.end());
  argv.push_back(fs_device_.string());
  run_checked(argv, {.merge_stderr = true});
}

void Stack::mount_filesystem() {
  fs::create_directories(mount_point_);
  ::umount2(mount_point_.c_str(), 0);  // a leftover of an interrupted cell, if any
  std::vector<std::string> argv{"mount", "-t", spec_.fs_type};
  if (!spec_.mount_options.empty()) {
    argv.push_back("-o");
    argv.push_back(join(spec_.mount_options, ","));
  }
  argv.push_back(fs_device_.string());
  argv.push_back(mount_point_.string());
  run_checked(argv, {.merge_stderr = true});
  mount_guard_ = std::make_unique<MountGuard>(mount_point_);
}

void Stack::check_dax() {
  fs::path probe = mount_point_ / ".poisonlab-dax-check";
  {
    UniqueFd fd(::open(probe.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644));
    if (!fd) throw UserError("cannot create " + probe.string() + ": " + strerror(errno));
    std::string page(4096, 'd');
    if (::write(fd.get(), page.data(), page.size()) != static_cast<ssize_t>(page.size()) || ::fsync(fd.get()) != 0)
      throw UserError("cannot write " + probe.string() + ": " + strerror(errno));
  }
  statx_dax_ = statx_dax(probe);
  ::unlink(probe.c_str());
  auto super = super_options_of(read_attr("/proc/self/mountinfo").value_or(""), mount_point_.string());
  super_options_ = super.value_or("");
  bool has_dax_option = false;
  std::istringstream opts(super_options_);
  for (std::string o; std::getline(opts, o, ',');)
    if (o == "dax" || o == "dax=always") has_dax_option = true;
  mount_dax_option_ = has_dax_option;
  if (!statx_dax_.value_or(false))
    throw UserError("DAX is off: statx on " + probe.string() + " has no STATX_ATTR_DAX" +
                    (statx_dax_ ? "" : " (attribute not reported)") + "; super options: " + super_options_);
}

json Stack::to_json() const {
  json namespaces = json::array(), disks = json::array();
  for (const auto& ns : namespaces_) {
    namespaces.push_back(ns.to_json());
    disks.push_back(ns.disk());
  }
  json out{{"ok", ok()},
              {"error", opt(error_)},
              {"type", spec_.stack_type},
              {"namespaces", namespaces},
              {"disks", disks},
              {"fs_device", fs_device_.empty() ? json(nullptr) : json(fs_device_.string())},
              {"fs_device_bytes", map_.disks().empty() ? json(nullptr) : json(map_.fs_device_bytes())},
              {"dm_table", opt(dm_table_text_)},
              {"fs_type", spec_.fs_type},
              {"mkfs_options", spec_.mkfs_options},
              {"mount_options", spec_.mount_options},
              {"mount_point", mount_point_.string()},
              {"dax", {{"statx_attr_dax", opt(statx_dax_)}, {"mount_dax_option", opt(mount_dax_option_)},
                       {"super_options", super_options_}}},
              {"phases_ns", phases_ns_}};
  if (spec_.cxl()) {  // CXL (issue 5): the region, its layout and how it was set up
    json cxl = cxl_ ? cxl_->to_json() : json::object();
    if (cxl_record_.is_object())
      for (const auto& [key, value] : cxl_record_.items()) cxl[key] = value;
    out["cxl"] = cxl;
  }
  return out;
}

// After an unbind the pmem disk under a dm device is gone while the dm
// device stays: its reads fail, which says nothing about the file system.
FsckResult Stack::check_stack_filesystem() const {
  for (const auto& ns : namespaces_) {
    std::filesystem::path disk = "/dev/" + ns.blockdev;
    if (!std::filesystem::exists(disk)) {
      FsckResult gone;
      gone.skipped = disk.string() + " (under " + fs_device_.string() + ") is gone";
      return gone;
    }
  }
  return check_filesystem(spec_.fs_type, fs_device_, mount_point_);
}

json Stack::teardown() {
  if (teardown_) return *teardown_;
  std::optional<std::string> umount_error;
  if (mount_guard_) umount_error = mount_guard_->unmount();
  json fsck = nullptr;
  if (spec_.fsck && mount_guard_ && !umount_error && !fs_device_.empty())
    fsck = check_stack_filesystem().to_json();
  std::optional<std::string> dm_error;
  if (dm_guard_ && !umount_error) dm_error = dm_guard_->remove();
  if (umount_error && dm_guard_) dm_error = "not removed: the file system is still mounted";
  json badblocks = json::object();
  for (const auto& ns : namespaces_) badblocks[ns.region_dev] = region_badblocks(ns.region_dev);
  teardown_ = json{{"umount_ok", !umount_error},
                   {"umount_error", opt(umount_error)},
                   {"fsck", fsck},
                   {"dm_removed", dm_guard_ ? json(!dm_error) : json(nullptr)},  // null: no dm device
                   {"dm_error", opt(dm_error)},
                   {"region_badblocks", badblocks}};
  return *teardown_;
}

std::optional<bool> statx_dax(const fs::path& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BASIC_STATS, &stx) != 0) return std::nullopt;
  if (!(stx.stx_attributes_mask & STATX_ATTR_DAX)) return std::nullopt;
  return (stx.stx_attributes & STATX_ATTR_DAX) != 0;
}

std::optional<std::string> super_options_of(const std::string& mountinfo, const std::string& mount_point) {
  std::istringstream lines(mountinfo);
  std::optional<std::string> found;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.size() < 5 || w[4] != mount_point) continue;
    auto dash = std::find(w.begin() + 5, w.end(), "-");
    if (dash == w.end() || std::distance(dash, w.end()) < 4) continue;
    found = *(dash + 3);  // the last mount at a point is the visible one
  }
  return found;
}

}  // namespace poisonlab::agent
