#include "agent/aim.h"

#include <sys/statvfs.h>

#include <algorithm>

#include <fmt/format.h>

#include "agent/fsmap.h"
#include "agent/xfs_db.h"
#include "common/error.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kSpanMarginBytes = 48ull << 20;  // left free so the file system can still log and allocate

fs::path trial_path(const Stack& stack, int index, const std::string& name) {
  return stack.mount_point() / fmt::format("t{}-{}", index, name);
}

PoisonUnit unit_from_piece(const address::StackMap& map, const address::DiskPiece& p, std::optional<uint64_t> fs) {
  PoisonUnit u;
  u.fs_offset = fs;
  u.disk = p.disk;
  u.disk_name = map.disks()[p.disk].name;
  u.disk_offset = p.offset;
  u.phys = p.phys;
  u.pfn = p.phys / address::kPageSize;
  return u;
}

// The victim file for a target, before any window is chosen.
TrialFiles create_victim(const CellSpec& spec, const Stack& stack, int index) {
  TrialFiles files;
  fs::path victim = trial_path(stack, index, "victim");
  const std::string& straddle = spec.target.straddle;
  if (straddle == "extent-boundary") {
    files.files.push_back(create_split_file(victim, spec.file_pages, spec.file_pages / 2, trial_path(stack, index, "filler")));
    files.files.push_back(describe_file(trial_path(stack, index, "filler"), "filler", "filler"));
  } else if (straddle == "stripe-chunk") {
    // Two chunks more than the window: some chunk boundary lies inside with room around it.
    uint64_t chunk_pages = spec.chunk_sectors * address::kSectorSize / address::kPageSize;
    files.files.push_back(create_pattern_file(victim, "victim", spec.file_pages + 2 * chunk_pages));
  } else if (straddle == "concat-seam") {
    struct statvfs sv {};
    if (::statvfs(stack.mount_point().c_str(), &sv) != 0) throw UserError("statvfs " + stack.mount_point().string());
    uint64_t free_bytes = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
    if (free_bytes <= kSpanMarginBytes) throw UserError("no free space for a span across the seam");
    uint64_t bytes = (free_bytes - kSpanMarginBytes) / address::kPageSize * address::kPageSize;
    files.files.push_back(create_span_file(victim, "victim", bytes));
  } else {
    files.files.push_back(create_pattern_file(victim, "victim", spec.file_pages));
    // More victim files written right after it: on a fresh region they lie
    // back to back, so a range spread over them spans that many owners.
    for (uint64_t k = 1; k < spec.files; ++k) {
      std::string id = victim_file_id(k);
      files.files.push_back(create_pattern_file(trial_path(stack, index, id), id, spec.file_pages));
    }
  }
  return files;
}

uint64_t clamp_first(int64_t wanted, uint64_t count, uint64_t total) {
  if (wanted < 0) return 0;
  return std::min<uint64_t>(static_cast<uint64_t>(wanted), total - count);
}

// File targets: the window and the range inside the victim file.
void aim_file(const CellSpec& spec, const Stack& stack, Aim& aim) {
  TrialFile& victim = aim.files.victim();
  uint64_t file_pages = victim.size / address::kPageSize;
  uint64_t range_first = spec.target.offset_pages;
  aim.target = {{"space", "file"}, {"file", "victim"}};
  if (!spec.target.straddle.empty()) {
    auto boundary = boundary_page(spec.target.straddle, victim, stack.map());
    if (!boundary)
      throw UserError(fmt::format("the victim file ({} pages, extents {}) does not cross a {} with a page on each side",
                                  file_pages, json(victim.extents).dump(), spec.target.straddle));
    range_first = *boundary - std::min<uint64_t>(*boundary, spec.pages / 2);
    aim.target["straddle"] = spec.target.straddle;
    aim.target["boundary_page"] = *boundary;
    aim.target["boundary_fs_offset"] = address::device_offset_of(victim.extents, *boundary * address::kPageSize).value_or(0);
  }
  uint64_t window = std::min(spec.file_pages, file_pages);
  uint64_t window_first = spec.target.straddle.empty()
                              ? 0
                              : clamp_first(static_cast<int64_t>(range_first) - static_cast<int64_t>(window - spec.pages) / 2,
                                            window, file_pages);
  if (spec.target.straddle == "concat-seam") {
    write_pattern(victim.path, window_first, window);  // the span is unwritten until mapped pages get data
    victim.refresh();
  }
  uint64_t per_file = spec.pages_per_file();
  aim.layout.window_first = window_first;
  aim.layout.window_pages = window;
  aim.layout.range_first = range_first;
  aim.layout.range_pages = per_file;
  aim.target["first_page"] = range_first;
  aim.target["pages"] = spec.pages;
  aim.target["crosses_extent_boundary"] =
      address::crosses_extent_boundary(victim.extents, range_first * address::kPageSize, per_file * address::kPageSize);
  if (spec.files > 1) aim.target.update({{"files", spec.files}, {"pages_per_file", per_file}});
  for (const TrialFile& file : aim.files.files) {
    if (file.role != "victim") continue;
    if (file.id != "victim") aim.layout.more_victims.emplace_back(file.id, file.path);
    for (uint64_t p = range_first; p < range_first + per_file; ++p) {
      auto fs_offset = address::device_offset_of(file.extents, p * address::kPageSize);
      if (!fs_offset) throw UserError(fmt::format("FIEMAP gives no location for page {} of {}", p, file.id));
      auto unit = unit_at_fs_offset(stack.map(), *fs_offset);
      if (!unit) throw UserError(fmt::format("the stack does not map file system offset {}", *fs_offset));
      unit->file = file.id;
      unit->file_page = p;
      aim.units.push_back(*unit);
    }
  }
}

std::vector<uint64_t> consecutive_pages(uint64_t first_byte, uint64_t pages) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < pages; ++i) out.push_back(first_byte + i * address::kPageSize);
  return out;
}

// Device, metadata and free-space targets: byte offsets on the fs device.
std::vector<uint64_t> fs_offsets_for(const CellSpec& spec, const Stack& stack, const TrialFile& victim, json& target) {
  const TargetSpec& t = spec.target;
  if (t.space == "device") {
    target["sector"] = t.sector;
    return consecutive_pages(t.sector * address::kSectorSize, spec.pages);
  }
  if (t.space == "metadata") {
    std::optional<uint64_t> inode;
    if (t.structure == "inode-chunk") inode = victim.ino;
    XfsMetadataLocation loc = locate_xfs_metadata(stack.fs_device(), t.structure, t.ag, inode);
    uint64_t byte = loc.daddr * address::kSectorSize;
    target.update({{"structure", t.structure}, {"ag", t.ag}, {"daddr", loc.daddr}, {"length_bytes", loc.length_bytes},
                   {"xfs_db", loc.commands}});
    if (inode) target["inode"] = *inode;
    return consecutive_pages(byte / address::kPageSize * address::kPageSize, spec.pages);
  }
  // free
  auto records = read_fsmap(stack.mount_point());
  auto start = find_free_range(records, spec.pages * address::kPageSize, address::kPageSize);
  if (!start) throw UserError(fmt::format("GETFSMAP shows no free range of {} pages", spec.pages));
  target["free_range_start"] = *start;
  return consecutive_pages(*start, spec.pages);
}

void aim_elsewhere(const CellSpec& spec, const Stack& stack, Aim& aim) {
  aim.layout.window_first = 0;
  aim.layout.window_pages = aim.files.victim().size / address::kPageSize;
  aim.target = {{"space", spec.target.space}};
  if (spec.target.space == "namespace") {
    aim.target["disk"] = stack.map().disks()[0].name;
    return;  // unbind takes the whole device: no page units
  }
  if (spec.target.space == "physical") {
    aim.target["address"] = spec.target.address;
    for (uint64_t phys : consecutive_pages(spec.target.address, spec.pages)) {
      auto unit = unit_at_phys(stack.map(), phys);
      if (!unit) throw UserError(fmt::format("physical address {:#x} is on none of the stack's pmem disks", phys));
      aim.units.push_back(*unit);
    }
    return;
  }
  for (uint64_t fs_offset : fs_offsets_for(spec, stack, aim.files.victim(), aim.target)) {
    auto unit = unit_at_fs_offset(stack.map(), fs_offset);
    if (!unit) throw UserError(fmt::format("the stack does not map file system offset {}", fs_offset));
    aim.units.push_back(*unit);
  }
}

void add_sharers(const CellSpec& spec, const Stack& stack, int index, Aim& aim, std::vector<std::string>& errors) {
  for (int k = 0; k < spec.sharers; ++k) {
    std::string id = fmt::format("sharer-{}", k);
    try {
      aim.files.files.push_back(clone_file(aim.files.victim(), trial_path(stack, index, id), id));
      aim.layout.sharers.emplace_back(id, aim.files.files.back().path);
    } catch (const UserError& e) {
      errors.push_back(e.what());
      return;
    }
  }
}

}  // namespace

std::string victim_file_id(uint64_t k) { return k == 0 ? "victim" : fmt::format("victim-{}", k); }

json PoisonUnit::to_json() const {
  return {{"file", file.empty() ? json(nullptr) : json(file)},
          {"file_page", file_page ? json(*file_page) : json(nullptr)},
          {"fs_offset", fs_offset ? json(*fs_offset) : json(nullptr)},
          {"disk", disk_name},
          {"disk_offset", disk_offset},
          {"phys_addr", phys},
          {"pfn_computed", pfn}};
}

std::vector<address::FileMap> TrialFiles::maps() const {
  std::vector<address::FileMap> out;
  for (const auto& f : files) out.push_back(f.map());
  return out;
}

json TrialFiles::to_json() const {
  json out = json::array();
  for (const auto& f : files) out.push_back(f.to_json());
  return out;
}

std::optional<PoisonUnit> unit_at_fs_offset(const address::StackMap& map, uint64_t fs_offset) {
  auto piece = map.locate(fs_offset);
  if (!piece) return std::nullopt;
  return unit_from_piece(map, *piece, fs_offset);
}

std::optional<PoisonUnit> unit_at_phys(const address::StackMap& map, uint64_t phys) {
  auto piece = map.disk_of_phys(phys);
  if (!piece) return std::nullopt;
  return unit_from_piece(map, *piece, map.fs_offset_of_phys(phys));
}

std::optional<uint64_t> boundary_page(const std::string& straddle, const TrialFile& victim, const address::StackMap& map) {
  uint64_t pages = victim.size / address::kPageSize;
  auto at = [&](uint64_t p) { return address::device_offset_of(victim.extents, p * address::kPageSize); };
  for (uint64_t p = 1; p < pages; ++p) {
    auto here = at(p), before = at(p - 1);
    if (!here || !before) continue;
    if (straddle == "extent-boundary") {
      if (address::crosses_extent_boundary(victim.extents, (p - 1) * address::kPageSize, 2 * address::kPageSize))
        return p;
    } else if (straddle == "stripe-chunk") {
      if (*before + address::kPageSize != *here || !map.dm()) continue;
      if (map.dm()->next_chunk_boundary(*before + 1) == *here) return p;
    } else if (straddle == "concat-seam") {
      if (!map.dm() || *before + address::kPageSize != *here) continue;
      for (uint64_t seam : map.dm()->seams())
        if (*here == seam) return p;
    }
  }
  return std::nullopt;
}

Aim aim_trial(const CellSpec& spec, const Stack& stack, int index, std::vector<std::string>& errors) {
  Aim aim;
  aim.files = create_victim(spec, stack, index);
  aim.layout.victim = aim.files.victim().path;
  if (spec.file_target())
    aim_file(spec, stack, aim);
  else
    aim_elsewhere(spec, stack, aim);
  add_sharers(spec, stack, index, aim, errors);
  return aim;
}

}  // namespace poisonlab::agent
