#include "agent/stack.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "agent/clock.h"
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
const fs::path kNdDevices = "/sys/bus/nd/devices";

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }
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

// The first region with a namespaceN.0 (the dev VM and the runner's guests
// have one NVDIMM region).
std::pair<std::string, std::string> first_region_and_namespace() {
  std::vector<std::string> regions;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kNdDevices, ec))
    if (e.path().filename().string().rfind("region", 0) == 0) regions.push_back(e.path().filename().string());
  std::sort(regions.begin(), regions.end());
  for (const auto& r : regions) {
    std::string ns = "namespace" + r.substr(6) + ".0";
    if (fs::exists(kNdDevices / ns)) return {r, ns};
  }
  throw UserError("no NVDIMM region with a namespace under " + kNdDevices.string() +
                  " (is nfit loaded and an nvdimm device present?)");
}

void wait_for_path(const fs::path& p, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!fs::exists(p)) {
    if (std::chrono::steady_clock::now() > deadline) throw UserError(p.string() + " did not appear");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
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

PmemLayout NamespaceInfo::layout() const {
  return {region_resource, ns_resource, pfn_resource.value_or(ns_resource)};
}

json NamespaceInfo::to_json() const {
  PmemLayout l = layout();
  return json{{"dev", ns_dev},
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

MountGuard::~MountGuard() {
  if (mounted_) unmount();
}

std::optional<std::string> MountGuard::unmount() {
  if (!mounted_) return std::nullopt;
  // Victims may take a moment to drop their mappings after being killed.
  for (int attempt = 0;; ++attempt) {
    if (::umount2(mount_point_.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT) {
      mounted_ = false;
      return std::nullopt;
    }
    if (errno != EBUSY || attempt >= 20)
      return "umount " + mount_point_.string() + ": " + strerror(errno);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
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

std::unique_ptr<Stack> Stack::build(const CellSpec& spec) {
  std::unique_ptr<Stack> s(new Stack(spec));
  s->build_steps();
  return s;
}

Stack::~Stack() { teardown(); }

void Stack::build_steps() {
  const char* step = "namespace";
  try {
    timed(phases_ns_, "namespace", [&] { create_namespace(); });
    step = "dm";
    if (spec_.stack_type == "dm-linear") {
      timed(phases_ns_, "dm", [&] { create_dm_linear(); });
    } else {
      fs_device_ = "/dev/" + ns_.blockdev;
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

void Stack::create_namespace() {
  auto [region, ns] = first_region_and_namespace();
  auto r = run_checked({"ndctl", "create-namespace", "-f", "-e", ns, "-m", spec_.ns_mode, "-M", spec_.ns_map,
                        "-a", spec_.ns_align});
  json out = json::parse(r.out, nullptr, false);
  if (out.is_discarded() || !out.is_object() || !out.contains("blockdev"))
    throw UserError("ndctl create-namespace printed no JSON with a blockdev: " + r.out);
  ns_.region_dev = region;
  ns_.ns_dev = out.value("dev", ns);
  ns_.mode = out.value("mode", spec_.ns_mode);
  ns_.blockdev = out["blockdev"].get<std::string>();
  ns_.align = out.value("align", uint64_t{0});
  ns_.region_resource = read_u64_attr(kNdDevices / region / "resource");
  ns_.region_size = read_u64_attr(kNdDevices / region / "size");
  ns_.ns_resource = read_u64_attr(kNdDevices / ns_.ns_dev / "resource");
  fs::path block = fs::path("/sys/block") / ns_.blockdev;
  ns_.block_majmin = read_attr_checked(block / "dev");
  ns_.blockdev_bytes = read_u64_attr(block / "size") * kSectorSize;
  // The pmem disk's parent is the pfn device whose resource is the data
  // start (namespace start + start_pad + dataoff).
  std::string parent = fs::canonical(block / "device").filename().string();
  if (parent.rfind("pfn", 0) == 0) {
    ns_.pfn_dev = parent;
    ns_.pfn_resource = read_u64_attr(kNdDevices / parent / "resource");
  } else if (ns_.mode == "fsdax") {
    throw UserError("fsdax namespace " + ns_.ns_dev + " has no pfn device as parent of " + ns_.blockdev +
                    " (parent is " + parent + ")");
  }
  wait_for_path("/dev/" + ns_.blockdev, std::chrono::seconds(5));
}

void Stack::create_dm_linear() {
  if (dm_device_exists(kDmName)) run_command({"dmsetup", "remove", "--noudevsync", kDmName});
  uint64_t sectors = ns_.blockdev_bytes / kSectorSize;
  if (spec_.dm_offset_sectors >= sectors)
    throw UserError("dm-linear offset " + std::to_string(spec_.dm_offset_sectors) + " sectors is past the end of " +
                    ns_.blockdev + " (" + std::to_string(sectors) + " sectors)");
  std::string table = "0 " + std::to_string(sectors - spec_.dm_offset_sectors) + " linear /dev/" + ns_.blockdev +
                      " " + std::to_string(spec_.dm_offset_sectors);
  run_checked({"dmsetup", "create", kDmName, "--noudevsync", "--table", table}, {.merge_stderr = true});
  dm_guard_ = std::make_unique<DmDeviceGuard>(kDmName);
  run_checked({"dmsetup", "mknodes", kDmName}, {.merge_stderr = true});
  fs_device_ = fs::path("/dev/mapper") / kDmName;
  wait_for_path(fs_device_, std::chrono::seconds(5));
  auto shown = run_checked({"dmsetup", "table", kDmName});
  std::string text = shown.out;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  dm_table_text_ = text;
  dm_table_ = parse_linear_table(text);
  for (const auto& seg : dm_table_)
    if (seg.device != ns_.block_majmin && seg.device != "/dev/" + ns_.blockdev)
      throw UserError("dm table maps to " + seg.device + ", not " + ns_.blockdev + " (" + ns_.block_majmin + ")");
}

void Stack::make_filesystem() {
  std::vector<std::string> argv{"mkfs.xfs", "-f"};
  argv.insert(argv.end(), spec_.mkfs_options.begin(), spec_.mkfs_options.end());
  argv.push_back(fs_device_.string());
  require_program("mkfs.xfs", "xfsprogs");
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

std::optional<uint64_t> Stack::pmem_offset_of(uint64_t fs_device_offset) const {
  if (spec_.stack_type == "raw") return fs_device_offset;
  return map_through_linear(dm_table_, fs_device_offset);
}

json Stack::to_json() const {
  json region = json::object();
  if (!ns_.region_dev.empty())
    region = {{"dev", ns_.region_dev}, {"resource", ns_.region_resource}, {"size", ns_.region_size}};
  return json{{"ok", ok()},
              {"error", opt(error_)},
              {"region", region},
              {"namespace", ns_.blockdev.empty() ? json::object() : ns_.to_json()},
              {"fs_device", fs_device_.empty() ? json(nullptr) : json(fs_device_.string())},
              {"dm_table", opt(dm_table_text_)},
              {"mkfs_options", spec_.mkfs_options},
              {"mount_options", spec_.mount_options},
              {"mount_point", mount_point_.string()},
              {"dax", {{"statx_attr_dax", opt(statx_dax_)}, {"mount_dax_option", opt(mount_dax_option_)},
                       {"super_options", super_options_}}},
              {"phases_ns", phases_ns_}};
}

json Stack::teardown() {
  if (teardown_) return *teardown_;
  std::optional<std::string> umount_error;
  if (mount_guard_) umount_error = mount_guard_->unmount();
  std::optional<std::string> dm_error;
  if (dm_guard_ && !umount_error) dm_error = dm_guard_->remove();
  if (umount_error && dm_guard_) dm_error = "not removed: the file system is still mounted";
  teardown_ = json{{"umount_ok", !umount_error},
                   {"umount_error", opt(umount_error)},
                   {"dm_removed", dm_guard_ ? json(!dm_error) : json(nullptr)},  // null: no dm device
                   {"dm_error", opt(dm_error)}};
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
