#include "target/local/local_safety.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <deque>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/fs_util.h"
#include "common/process.h"

namespace poisonlab::local {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kPageBytes = 4096;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t first = s.find_first_not_of(" \t");
  return first == std::string::npos ? "" : s.substr(first);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string decode_octal_escapes(const std::string& field) {
  auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 4 <= field.size() &&
        is_octal(field[i + 1]) && is_octal(field[i + 2]) && is_octal(field[i + 3])) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::optional<std::string> read_trimmed(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    return trim(read_file(path));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string paths_text(const std::vector<fs::path>& paths) {
  std::vector<std::string> names;
  for (const auto& p : paths) names.push_back(p.string());
  return names.empty() ? "none" : join(names, ", ");
}

bool allowed(const DeviceId& device, const std::vector<fs::path>& allow_devices, const HostView& view) {
  for (const auto& a : allow_devices) {
    if (auto id = view.block_device(a)) {
      if (same_device(device, *id)) return true;
    } else {
      std::error_code ec;
      if (fs::weakly_canonical(a, ec) == device.real) return true;
    }
  }
  return false;
}

std::optional<std::string> mount_refusal(const DeviceId& device, const HostView& view) {
  std::vector<StackedDevice> stacked = stacked_devices(view.sys_class_block(), device.name);
  if (stacked.empty()) stacked.push_back({device.name, device.majmin, ""});
  for (const MountEntry& m : parse_mountinfo(view.mountinfo())) {
    std::error_code ec;
    bool by_source = !m.source.empty() && m.source[0] == '/' && fs::weakly_canonical(m.source, ec) == device.real;
    for (const auto& s : stacked) {
      if (m.majmin != s.majmin && !(by_source && s.via.empty())) continue;
      std::string through = s.via.empty() ? "" : fmt::format(" through {} ({})", s.name, s.via);
      return fmt::format("refusing {}: it is mounted at {}{} (source {}); no flag overrides this: unmount it first",
                         device.given.string(), m.mount_point, through, m.source);
    }
  }
  return std::nullopt;
}

// A command's output, or nullopt when it could not run.
std::optional<CommandResult> try_run(const std::vector<std::string>& argv) {
  if (!find_program(argv[0])) return std::nullopt;
  return run_command(argv, {.timeout = std::chrono::seconds(30)});
}

}  // namespace

bool same_device(const DeviceId& a, const DeviceId& b) {
  return (!a.real.empty() && a.real == b.real) || (!a.majmin.empty() && a.majmin == b.majmin);
}

std::vector<MountEntry> parse_mountinfo(const std::string& text) {
  std::vector<MountEntry> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    auto dash = std::find(w.begin() + std::min<size_t>(w.size(), 6), w.end(), "-");
    if (w.size() < 6 || dash == w.end()) continue;
    MountEntry m{w[2], decode_octal_escapes(w[4]), ""};
    if (std::distance(dash, w.end()) >= 3) m.source = decode_octal_escapes(*(dash + 2));
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<StackedDevice> stacked_devices(const fs::path& sys_class_block, const std::string& name) {
  std::vector<StackedDevice> out;
  std::set<std::string> seen;
  std::deque<StackedDevice> todo{{name, "", ""}};
  while (!todo.empty()) {
    StackedDevice d = todo.front();
    todo.pop_front();
    if (!seen.insert(d.name).second) continue;
    fs::path dir = sys_class_block / d.name;
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    d.majmin = read_trimmed(dir / "dev").value_or("");
    out.push_back(d);
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (fs::exists(e.path() / "partition", ec)) todo.push_back({e.path().filename().string(), "", "partition of " + d.name});
    for (const auto& e : fs::directory_iterator(dir / "holders", ec))
      todo.push_back({e.path().filename().string(), "", "holder of " + d.name});
  }
  return out;
}

std::vector<std::string> parse_wipefs_json(const std::string& text) {
  std::vector<std::string> out;
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("signatures") || !doc["signatures"].is_array()) return out;
  for (const auto& s : doc["signatures"]) {
    if (!s.is_object()) continue;
    std::string type = s.value("type", std::string("?"));
    std::string offset = s.contains("offset") && s["offset"].is_string() ? s["offset"].get<std::string>() : "?";
    out.push_back(fmt::format("{} signature at offset {}", type, offset));
  }
  return out;
}

std::vector<std::string> parse_blkid_export(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    if (key == "TYPE" || key == "PTTYPE" || key == "PART_ENTRY_TYPE") out.push_back(line);
  }
  return out;
}

std::vector<IomemEntry> parse_iomem(const std::string& text) {
  std::vector<IomemEntry> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t indent = line.find_first_not_of(' ');
    size_t dash = line.find('-');
    size_t colon = line.find(" : ");
    if (indent == std::string::npos || dash == std::string::npos || colon == std::string::npos || dash > colon) continue;
    try {
      IomemEntry e;
      e.start = std::stoull(line.substr(indent, dash - indent), nullptr, 16);
      e.end = std::stoull(line.substr(dash + 1, colon - dash - 1), nullptr, 16);
      e.name = trim(line.substr(colon + 3));
      e.depth = static_cast<int>(indent / 2);
      out.push_back(std::move(e));
    } catch (const std::exception&) {
      continue;  // not an address line
    }
  }
  return out;
}

std::optional<IomemEntry> system_ram_overlap(const std::vector<IomemEntry>& iomem, uint64_t start, uint64_t bytes) {
  bool any_address = std::any_of(iomem.begin(), iomem.end(), [](const IomemEntry& e) { return e.end != 0; });
  if (!any_address)
    throw UserError("/proc/iomem shows no addresses (it hides them from non-root users): cannot tell whether a "
                    "physical address is System RAM, so none is poisoned; run as root",
                    kExitRefused);
  uint64_t last = start + std::max<uint64_t>(bytes, 1) - 1;
  if (last < start) last = UINT64_MAX;  // a range running past the top of the address space
  for (const auto& e : iomem)
    if (e.name.rfind("System RAM", 0) == 0 && start <= e.end && last >= e.start) return e;
  return std::nullopt;
}

std::optional<std::string> system_ram_refusal(const std::vector<IomemEntry>& iomem, uint64_t start, uint64_t bytes,
                                              const std::string& what) {
  auto ram = system_ram_overlap(iomem, start, bytes);
  if (!ram) return std::nullopt;
  return fmt::format("refusing {} {:#x}-{:#x}: it intersects \"{}\" {:#x}-{:#x} in /proc/iomem; no flag allows "
                     "poisoning System RAM on the local target",
                     what, start, start + std::max<uint64_t>(bytes, 1) - 1, ram->name, ram->start, ram->end);
}

std::optional<DeviceId> HostView::block_device(const fs::path& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return std::nullopt;
  DeviceId id;
  id.given = path;
  std::error_code ec;
  id.real = fs::canonical(path, ec);
  id.majmin = fmt::format("{}:{}", major(st.st_rdev), minor(st.st_rdev));
  fs::path sys = fs::canonical(fs::path("/sys/dev/block") / id.majmin, ec);
  id.name = ec ? id.real.filename().string() : sys.filename().string();
  return id;
}

std::string HostView::mountinfo() const { return read_file("/proc/self/mountinfo"); }

std::string HostView::iomem() const { return read_file("/proc/iomem"); }

std::vector<std::string> HostView::signatures(const fs::path& device) const {
  auto wipefs = try_run({"wipefs", "--no-act", "--json", device.string()});
  auto blkid = try_run({"blkid", "-p", "-o", "export", device.string()});
  if (!wipefs && !blkid) return {"unknown content (neither wipefs nor blkid could be run to probe it)"};
  std::vector<std::string> found;
  if (wipefs && wipefs->ok()) found = parse_wipefs_json(wipefs->out);
  // blkid -p: exit 2 when it finds nothing; its TYPE repeats what wipefs saw.
  if (blkid && blkid->exit_code == 0 && found.empty()) found = parse_blkid_export(blkid->out);
  if (found.empty() && wipefs && !wipefs->ok() && !(blkid && blkid->exit_code == 2))
    found.push_back("unknown content (wipefs failed: " + trim(wipefs->err) + ")");
  return found;
}

std::vector<std::string> device_refusals(const DeviceCheckRequest& request, const HostView& view) {
  std::vector<std::string> refusals;
  if (request.devices.empty()) refusals.push_back("no device to use: name pmem block devices with --allow-device");
  for (const auto& path : request.devices) {
    auto id = view.block_device(path);
    if (!id) {
      refusals.push_back(fmt::format("refusing {}: not a block device (or it does not exist); name a pmem block "
                                     "device such as /dev/pmem0 with --allow-device",
                                     path.string()));
      continue;
    }
    if (!allowed(*id, request.allow_devices, view)) {
      refusals.push_back(fmt::format("refusing {}: it is not named by --allow-device (allowed: {}); add "
                                     "--allow-device {} to let poisonlab format and poison it",
                                     path.string(), paths_text(request.allow_devices), path.string()));
      continue;
    }
    if (auto mounted = mount_refusal(*id, view)) {
      refusals.push_back(*mounted);
      continue;
    }
    if (request.force) continue;
    auto found = view.signatures(id->real);
    if (!found.empty())
      refusals.push_back(fmt::format("refusing {}: it holds a file system or other signature ({}); poisonlab would "
                                     "overwrite it: pass --force to allow that",
                                     path.string(), join(found, "; ")));
  }
  return refusals;
}

std::vector<DeviceId> check_devices(const DeviceCheckRequest& request, const HostView& view) {
  std::vector<std::string> refusals = device_refusals(request, view);
  if (!refusals.empty()) throw UserError("local target: " + join(refusals, "\nlocal target: "), kExitRefused);
  std::vector<DeviceId> ids;
  for (const auto& path : request.devices) ids.push_back(*view.block_device(path));
  return ids;
}

void check_physical_targets(const std::vector<NamedCellSpec>& cells, const std::vector<IomemEntry>& iomem) {
  std::vector<std::string> refusals;
  for (const auto& [id, spec] : cells) {
    const json* target = nullptr;
    if (spec.contains("injection") && spec["injection"].is_object() && spec["injection"].contains("target"))
      target = &spec["injection"]["target"];
    if (!target || !target->is_object() || target->value("space", "") != "physical") continue;
    uint64_t address = target->value("address", uint64_t{0});
    uint64_t pages = spec["injection"].value("pages", uint64_t{1});
    if (auto refusal = system_ram_refusal(iomem, address, pages * kPageBytes, "physical range"))
      refusals.push_back("cell " + id + ": " + *refusal);
  }
  if (!refusals.empty()) throw UserError("local target: " + join(refusals, "\nlocal target: "), kExitRefused);
}

}  // namespace poisonlab::local
