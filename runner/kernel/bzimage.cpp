#include "kernel/bzimage.h"

#include <fstream>
#include <iterator>

namespace poisonlab {
namespace {

// Linux boot protocol: "HdrS" at 0x202, kernel_version (u16, offset of the
// string minus 0x200) at 0x20e.
constexpr size_t kHeaderMagicAt = 0x202;
constexpr size_t kVersionPointerAt = 0x20e;
constexpr size_t kSetupOffset = 0x200;

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

}  // namespace poisonlab
