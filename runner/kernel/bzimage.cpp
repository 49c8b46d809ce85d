#include "kernel/bzimage.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"

namespace poisonlab {
namespace {

// Linux boot protocol: "HdrS" at 0x202, kernel_version (u16, offset of the
// string minus 0x200) at 0x20e.
constexpr size_t kHeaderMagicAt = 0x202;
constexpr size_t kVersionPointerAt = 0x20e;
constexpr size_t kSetupOffset = 0x200;
// setup_sects (u8) at 0x1f1, protocol version (u16) at 0x206,
// payload_offset and payload_length (u32, from the start of the
// protected-mode code) at 0x248 and 0x24c.
constexpr size_t kSetupSectsAt = 0x1f1;
constexpr size_t kProtocolAt = 0x206;
constexpr size_t kPayloadOffsetAt = 0x248;
constexpr size_t kPayloadLengthAt = 0x24c;

template <typename T>
std::optional<T> read_le(const std::string& bytes, size_t pos) {
  if (pos + sizeof(T) > bytes.size() || pos + sizeof(T) < pos) return std::nullopt;
  T value{};
  std::memcpy(&value, bytes.data() + pos, sizeof(T));  // x86-64 hosts: little-endian
  return value;
}

}  // namespace

std::optional<std::string> bzimage_release(const std::string& bytes) {
  if (bytes.size() < kVersionPointerAt + 2 || bytes.compare(kHeaderMagicAt, 4, "HdrS") != 0) return std::nullopt;
  auto lo = static_cast<unsigned char>(bytes[kVersionPointerAt]);
  auto hi = static_cast<unsigned char>(bytes[kVersionPointerAt + 1]);
  size_t pointer = lo | (size_t{hi} << 8);
  if (pointer == 0) return std::nullopt;
  size_t at = pointer + kSetupOffset;
  if (at >= bytes.size()) return std::nullopt;
  size_t end = bytes.find_first_of(std::string(" \0", 2), at);
  if (end == std::string::npos || end == at) return std::nullopt;
  return bytes.substr(at, end - at);
}

std::optional<std::string> bzimage_release_of_file(const std::filesystem::path& image) {
  std::ifstream in(image, std::ios::binary);
  if (!in) return std::nullopt;
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return bzimage_release(head);
}

std::optional<BzimagePayload> bzimage_payload(const std::string& bytes) {
  if (bytes.size() < kPayloadLengthAt + 4 || bytes.compare(kHeaderMagicAt, 4, "HdrS") != 0) return std::nullopt;
  if (read_le<uint16_t>(bytes, kProtocolAt).value_or(0) < 0x208) return std::nullopt;
  size_t setup_sects = static_cast<unsigned char>(bytes[kSetupSectsAt]);
  if (setup_sects == 0) setup_sects = 4;  // boot protocol: 0 means 4
  size_t base = (setup_sects + 1) * 512;
  auto offset = read_le<uint32_t>(bytes, kPayloadOffsetAt);
  auto length = read_le<uint32_t>(bytes, kPayloadLengthAt);
  if (!offset || !length || *length < 8) return std::nullopt;
  size_t begin = base + *offset;
  if (begin < base || begin > bytes.size() || *length > bytes.size() - begin) return std::nullopt;
  std::string data = bytes.substr(begin, *length);
  BzimagePayload p;
  if (data.starts_with(std::string_view("\x28\xb5\x2f\xfd", 4))) p.format = "zstd";
  else if (data.starts_with(std::string_view("\xfd" "7zXZ\0", 6))) p.format = "xz";
  else if (data.starts_with(std::string_view("\x1f\x8b", 2))) p.format = "gzip";
  if (p.format == "zstd" || p.format == "xz") {
    // scripts/Makefile.lib size_append: the uncompressed size follows the stream.
    p.uncompressed_size = read_le<uint32_t>(data, data.size() - 4);
    data.resize(data.size() - 4);
  }
  p.data = std::move(data);
  return p;
}

bool elf_has_pvh_entry(const std::string& elf) {
  constexpr uint32_t kPtNote = 4;
  constexpr uint32_t kXenElfnotePhys32Entry = 18;
  if (elf.size() < 64 || elf.compare(0, 4, "\x7f" "ELF") != 0 || elf[4] != 2 || elf[5] != 1) return false;
  auto phoff = read_le<uint64_t>(elf, 0x20).value_or(0);
  auto phentsize = read_le<uint16_t>(elf, 0x36).value_or(0);
  auto phnum = read_le<uint16_t>(elf, 0x38).value_or(0);
  if (phentsize < 56) return false;
  for (uint16_t i = 0; i < phnum; ++i) {
    size_t ph = phoff + size_t{i} * phentsize;
    if (read_le<uint32_t>(elf, ph).value_or(0) != kPtNote) continue;
    auto off = read_le<uint64_t>(elf, ph + 0x08);
    auto size = read_le<uint64_t>(elf, ph + 0x20);
    if (!off || !size || *off > elf.size() || *size > elf.size() - *off) return false;
    size_t at = *off, end = *off + *size;
    while (at + 12 <= end) {  // Elf64_Nhdr: namesz, descsz, type; name and desc 4-byte aligned
      uint32_t namesz = *read_le<uint32_t>(elf, at), descsz = *read_le<uint32_t>(elf, at + 4),
               type = *read_le<uint32_t>(elf, at + 8);
      size_t name_at = at + 12;
      size_t desc_at = name_at + ((size_t{namesz} + 3) & ~size_t{3});
      size_t next = desc_at + ((size_t{descsz} + 3) & ~size_t{3});
      if (next > end || next <= at) break;
      if (namesz == 4 && elf.compare(name_at, 4, std::string("Xen\0", 4)) == 0 && type == kXenElfnotePhys32Entry)
        return true;
      at = next;
    }
  }
  return false;
}

std::filesystem::path pvh_image_path(const std::filesystem::path& dir, const std::filesystem::path& image) {
  return dir / (image.filename().string() + ".pvh");
}

bool write_pvh_image(const std::filesystem::path& image, const std::filesystem::path& out, std::string& why) {
  auto payload = bzimage_payload(read_file(image));
  if (!payload) {
    why = "not a bzImage with a payload (boot protocol 2.08+)";
    return false;
  }
  std::vector<std::string> argv;
  if (payload->format == "zstd") argv = {require_program("zstd", "zstd").string(), "-dcq"};
  else if (payload->format == "xz") argv = {require_program("xz", "xz-utils").string(), "-dc", "--single-stream"};
  else if (payload->format == "gzip") argv = {require_program("gzip", "gzip").string(), "-dcq"};
  else {
    why = "kernel compression not handled (zstd, xz and gzip are)";
    return false;
  }
  std::filesystem::path compressed = out.string() + ".payload.tmp";
  write_file_atomic(compressed, payload->data);
  argv.push_back(compressed.string());
  CommandResult result = run_command(argv);
  std::error_code ignored;
  std::filesystem::remove(compressed, ignored);
  // gzip exits 2 on the trailing bytes after its stream ("trailing garbage ignored").
  if (!(result.ok() || (payload->format == "gzip" && result.exit_code == 2))) {
    why = fmt::format("{} -d failed (exit {}): {}", payload->format, result.exit_code, result.err);
    return false;
  }
  if (payload->uncompressed_size && result.out.size() != *payload->uncompressed_size) {
    why = fmt::format("decompressed {} bytes, the image says {}", result.out.size(), *payload->uncompressed_size);
    return false;
  }
  if (!elf_has_pvh_entry(result.out)) {
    why = "the kernel has no PVH entry point (CONFIG_PVH)";
    return false;
  }
  write_file_atomic(out, result.out);
  return true;
}

}  // namespace poisonlab
