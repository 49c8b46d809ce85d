#include "address/dm_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace poisonlab::address {
namespace {

DmTarget parse_line(const std::string& line) {
  std::istringstream words(line);
  DmTarget t;
  auto bad = [&](const std::string& why) { return std::invalid_argument("dm table line '" + line + "': " + why); };
  if (!(words >> t.start_sector >> t.length_sectors >> t.type)) throw bad("expected 'start length type ...'");
  if (t.type == "linear") {
    DmLeg leg;
    if (!(words >> leg.device >> leg.offset_sectors)) throw bad("expected 'linear device offset'");
    t.legs.push_back(leg);
  } else if (t.type == "striped") {
    uint64_t stripes = 0;
    if (!(words >> stripes >> t.chunk_sectors) || stripes == 0 || t.chunk_sectors == 0)
      throw bad("expected 'striped stripes chunk_sectors device offset ...'");
    for (uint64_t i = 0; i < stripes; ++i) {
      DmLeg leg;
      if (!(words >> leg.device >> leg.offset_sectors)) throw bad(fmt::format("expected {} device/offset pairs", stripes));
      t.legs.push_back(leg);
    }
    if (t.length_sectors % (stripes * t.chunk_sectors) != 0)
      throw bad("length is not a multiple of stripes x chunk size");
  } else {
    throw bad("target type '" + t.type + "' is neither linear nor striped");
  }
  std::string extra;
  if (words >> extra) throw bad("unexpected '" + extra + "'");
  return t;
}

uint64_t start_bytes(const DmTarget& t) { return t.start_sector * kSectorSize; }
uint64_t end_bytes(const DmTarget& t) { return (t.start_sector + t.length_sectors) * kSectorSize; }

// One byte of a target: its leg index and byte offset on the leg device,
// and how many bytes after it stay on that leg contiguously.
struct LegByte {
  size_t leg = 0;
  uint64_t offset = 0;
  uint64_t run = 0;
};

LegByte target_byte(const DmTarget& t, uint64_t dm_offset) {
  uint64_t rel = dm_offset - start_bytes(t);
  if (t.type == "linear") return {0, t.legs[0].offset_sectors * kSectorSize + rel, end_bytes(t) - dm_offset};
  uint64_t chunk_bytes = t.chunk_sectors * kSectorSize;
  uint64_t chunk = rel / chunk_bytes, in_chunk = rel % chunk_bytes;
  uint64_t stripes = t.legs.size();
  size_t leg = chunk % stripes;
  uint64_t leg_chunk = chunk / stripes;
  return {leg, t.legs[leg].offset_sectors * kSectorSize + leg_chunk * chunk_bytes + in_chunk, chunk_bytes - in_chunk};
}

}  // namespace

DmTable::DmTable(std::vector<DmTarget> targets) : targets_(std::move(targets)) {
  std::sort(targets_.begin(), targets_.end(),
            [](const DmTarget& a, const DmTarget& b) { return a.start_sector < b.start_sector; });
  uint64_t expected = 0;
  for (const auto& t : targets_) {
    if (t.start_sector != expected)
      throw std::invalid_argument(fmt::format("dm table: a target starts at sector {}, expected {}", t.start_sector, expected));
    expected += t.length_sectors;
  }
}

DmTable DmTable::parse(std::string_view text) {
  std::vector<DmTarget> targets;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    targets.push_back(parse_line(line));
  }
  return DmTable(std::move(targets));
}

uint64_t DmTable::size_bytes() const { return targets_.empty() ? 0 : end_bytes(targets_.back()); }

std::vector<DevicePiece> DmTable::map(uint64_t dm_offset, uint64_t length) const {
  std::vector<DevicePiece> pieces;
  uint64_t end = std::min(dm_offset + length, size_bytes());
  for (const auto& t : targets_) {
    for (uint64_t at = std::max(dm_offset, start_bytes(t)); at < std::min(end, end_bytes(t));) {
      LegByte b = target_byte(t, at);
      uint64_t n = std::min(b.run, end - at);
      const std::string& device = t.legs[b.leg].device;
      if (!pieces.empty() && pieces.back().device == device && pieces.back().offset + pieces.back().length == b.offset)
        pieces.back().length += n;
      else
        pieces.push_back({device, b.offset, n, at});
      at += n;
    }
  }
  return pieces;
}

std::optional<uint64_t> DmTable::reverse(std::string_view device, uint64_t device_offset) const {
  for (const auto& t : targets_) {
    for (size_t i = 0; i < t.legs.size(); ++i) {
      if (t.legs[i].device != device) continue;
      uint64_t leg_start = t.legs[i].offset_sectors * kSectorSize;
      if (device_offset < leg_start) continue;
      uint64_t on_leg = device_offset - leg_start;
      uint64_t dm_rel;
      if (t.type == "linear") {
        dm_rel = on_leg;
      } else {
        uint64_t chunk_bytes = t.chunk_sectors * kSectorSize;
        dm_rel = ((on_leg / chunk_bytes) * t.legs.size() + i) * chunk_bytes + on_leg % chunk_bytes;
      }
      if (dm_rel < t.length_sectors * kSectorSize) return start_bytes(t) + dm_rel;
    }
  }
  return std::nullopt;
}

std::vector<uint64_t> DmTable::seams() const {
  std::vector<uint64_t> out;
  for (size_t i = 1; i < targets_.size(); ++i) out.push_back(start_bytes(targets_[i]));
  return out;
}

std::optional<uint64_t> DmTable::next_chunk_boundary(uint64_t dm_offset) const {
  for (const auto& t : targets_) {
    if (t.type != "striped" || dm_offset >= end_bytes(t)) continue;
    uint64_t chunk_bytes = t.chunk_sectors * kSectorSize;
    uint64_t rel = dm_offset > start_bytes(t) ? dm_offset - start_bytes(t) : 0;
    uint64_t boundary = std::max<uint64_t>(1, (rel + chunk_bytes - 1) / chunk_bytes) * chunk_bytes;
    if (boundary < t.length_sectors * kSectorSize) return start_bytes(t) + boundary;
  }
  return std::nullopt;
}

std::string DmTable::text() const {
  std::string out;
  for (const auto& t : targets_) {
    out += fmt::format("{} {} {}", t.start_sector, t.length_sectors, t.type);
    if (t.type == "striped") out += fmt::format(" {} {}", t.legs.size(), t.chunk_sectors);
    for (const auto& leg : t.legs) out += fmt::format(" {} {}", leg.device, leg.offset_sectors);
    out += "\n";
  }
  return out;
}

}  // namespace poisonlab::address
