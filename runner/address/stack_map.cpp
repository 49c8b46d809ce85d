#include "address/stack_map.h"

#include <stdexcept>

namespace poisonlab::address {

StackMap::StackMap(std::vector<PmemDisk> disks, std::optional<DmTable> dm) : disks_(std::move(disks)), dm_(std::move(dm)) {
  if (disks_.empty()) throw std::invalid_argument("a stack needs at least one pmem disk");
  if (dm_)
    for (const auto& t : dm_->targets())
      for (const auto& leg : t.legs)
        if (!disk_index(leg.device))
          throw std::invalid_argument("dm table names device " + leg.device + ", which is none of the stack's pmem disks");
}

std::optional<size_t> StackMap::disk_index(std::string_view name) const {
  for (size_t i = 0; i < disks_.size(); ++i)
    if (disks_[i].majmin == name || disks_[i].name == name || "/dev/" + disks_[i].name == name) return i;
  return std::nullopt;
}

uint64_t StackMap::fs_device_bytes() const { return dm_ ? dm_->size_bytes() : disks_[0].size_bytes; }

std::vector<DiskPiece> StackMap::to_disks(uint64_t fs_offset, uint64_t length) const {
  std::vector<DiskPiece> out;
  if (!dm_) {
    uint64_t end = std::min(fs_offset + length, disks_[0].size_bytes);
    if (fs_offset < end) out.push_back({0, fs_offset, end - fs_offset, fs_offset, disks_[0].layout.data_start + fs_offset});
    return out;
  }
  for (const auto& p : dm_->map(fs_offset, length)) {
    size_t d = *disk_index(p.device);
    out.push_back({d, p.offset, p.length, p.dm_offset, disks_[d].layout.data_start + p.offset});
  }
  return out;
}

std::optional<DiskPiece> StackMap::locate(uint64_t fs_offset) const {
  auto pieces = to_disks(fs_offset, 1);
  if (pieces.empty()) return std::nullopt;
  return pieces.front();
}

std::optional<DiskPiece> StackMap::disk_of_phys(uint64_t phys) const {
  for (size_t i = 0; i < disks_.size(); ++i) {
    const auto& d = disks_[i];
    if (phys >= d.layout.data_start && phys - d.layout.data_start < d.size_bytes) {
      uint64_t offset = phys - d.layout.data_start;
      DiskPiece p{i, offset, 1, 0, phys};
      if (auto fs = fs_offset_of(i, offset)) p.fs_offset = *fs;
      return p;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> StackMap::fs_offset_of(size_t disk, uint64_t disk_offset) const {
  if (disk >= disks_.size() || disk_offset >= disks_[disk].size_bytes) return std::nullopt;
  if (!dm_) return disk == 0 ? std::optional<uint64_t>(disk_offset) : std::nullopt;
  if (auto r = dm_->reverse(disks_[disk].majmin, disk_offset)) return r;
  return dm_->reverse("/dev/" + disks_[disk].name, disk_offset);
}

std::optional<uint64_t> StackMap::fs_offset_of_phys(uint64_t phys) const {
  auto p = disk_of_phys(phys);
  if (!p) return std::nullopt;
  return fs_offset_of(p->disk, p->offset);
}

void to_json(nlohmann::json& j, const PmemDisk& d) {
  j = {{"name", d.name},
       {"majmin", d.majmin},
       {"size_bytes", d.size_bytes},
       {"layout",
        {{"region_start", d.layout.region_start},
         {"namespace_start", d.layout.namespace_start},
         {"data_start", d.layout.data_start}}}};
}

StackMap StackMap::from_json(const nlohmann::json& stack) {
  std::vector<PmemDisk> disks;
  for (const auto& d : stack.at("disks")) {
    const auto& l = d.at("layout");
    disks.push_back({d.at("name").get<std::string>(), d.at("majmin").get<std::string>(), d.at("size_bytes").get<uint64_t>(),
                     {l.at("region_start").get<uint64_t>(), l.at("namespace_start").get<uint64_t>(),
                      l.at("data_start").get<uint64_t>()}});
  }
  std::optional<DmTable> dm;
  if (stack.contains("dm_table") && stack["dm_table"].is_string()) dm = DmTable::parse(stack["dm_table"].get<std::string>());
  return StackMap(std::move(disks), std::move(dm));
}

}  // namespace poisonlab::address
