#include "agent/btf_enum.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/error.h"

namespace poisonlab::agent {
namespace {

// include/uapi/linux/btf.h. Kept here rather than included so the agent
// builds against older linux-libc-dev headers that predate ENUM64.
constexpr uint16_t kBtfMagic = 0xeB9F;
constexpr size_t kHeaderMinLen = 24;  // struct btf_header
constexpr size_t kTypeLen = 12;       // struct btf_type
enum Kind : uint32_t {
  kInt = 1, kPtr, kArray, kStruct, kUnion, kEnum, kFwd, kTypedef, kVolatile, kConst, kRestrict,
  kFunc, kFuncProto, kVar, kDatasec, kFloat, kDeclTag, kTypeTag, kEnum64,
};

// Bytes of kind-specific data after struct btf_type; nullopt for an unknown
// kind, whose size cannot be known.
std::optional<size_t> extra_size(uint32_t kind, uint32_t vlen) {
  switch (kind) {
    case kPtr: case kFwd: case kTypedef: case kVolatile: case kConst: case kRestrict:
    case kFunc: case kFloat: case kTypeTag:
      return 0;
    case kInt: case kVar: case kDeclTag: return 4;    // u32 encoding / linkage / s32 component_idx
    case kArray: return 12;                           // struct btf_array
    case kStruct: case kUnion: return vlen * 12u;     // struct btf_member
    case kEnum: return vlen * 8u;                     // struct btf_enum
    case kFuncProto: return vlen * 8u;                // struct btf_param
    case kDatasec: return vlen * 12u;                 // struct btf_var_secinfo
    case kEnum64: return vlen * 12u;                  // struct btf_enum64
    default: return std::nullopt;
  }
}

class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    throw UserError(source_ + ": malformed BTF at offset " + std::to_string(offset) + ": " + what);
  }
  template <typename T>
  T get(size_t offset) const {
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T))
      fail(offset, "truncated (file is " + std::to_string(bytes_.size()) + " bytes)");
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof(T));
    return v;
  }
  // [offset, offset + len) must lie inside the blob.
  void require(size_t offset, size_t len, const std::string& what) const {
    if (offset > bytes_.size() || bytes_.size() - offset < len) fail(offset, what + " runs past the end");
  }
  std::string_view bytes() const { return bytes_; }

 private:
  std::string_view bytes_;
  const std::string& source_;
};

}  // namespace

std::optional<std::map<std::string, int64_t>> parse_btf_enum(std::string_view bytes, std::string_view enum_name,
                                                             const std::string& source_name) {
  Reader r(bytes, source_name);
  // Native byte order only: a byte-swapped magic reads as a bad magic.
  if (uint16_t magic = r.get<uint16_t>(0); magic != kBtfMagic) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%04x", magic);
    r.fail(0, std::string("bad magic ") + hex + " (want 0xeb9f)");
  }
  uint32_t hdr_len = r.get<uint32_t>(4);
  if (hdr_len < kHeaderMinLen) r.fail(4, "header length " + std::to_string(hdr_len) + " < 24");
  r.require(0, hdr_len, "header");
  uint64_t type_start = uint64_t{hdr_len} + r.get<uint32_t>(8);
  uint64_t type_len = r.get<uint32_t>(12);
  uint64_t str_start = uint64_t{hdr_len} + r.get<uint32_t>(16);
  uint64_t str_len = r.get<uint32_t>(20);
  r.require(type_start, type_len, "type section");
  r.require(str_start, str_len, "string section");

  // Names are offsets into the string section, NUL-terminated inside it.
  auto name_at = [&](uint32_t name_off, size_t referrer) -> std::string_view {
    if (name_off >= str_len) r.fail(referrer, "name offset " + std::to_string(name_off) + " outside string section");
    std::string_view strs = r.bytes().substr(str_start, str_len);
    size_t end = strs.find('\0', name_off);
    if (end == std::string_view::npos) r.fail(str_start + name_off, "unterminated name");
    return strs.substr(name_off, end - name_off);
  };

  const uint64_t type_end = type_start + type_len;
  for (uint64_t at = type_start; at < type_end;) {
    if (type_end - at < kTypeLen) r.fail(at, "truncated type in type section");
    uint32_t name_off = r.get<uint32_t>(at);
    uint32_t info = r.get<uint32_t>(at + 4);
    uint32_t kind = (info >> 24) & 0x1f;
    uint32_t vlen = info & 0xffff;
    bool kflag = info >> 31;
    auto extra = extra_size(kind, vlen);
    if (!extra) r.fail(at, "unknown BTF kind " + std::to_string(kind));
    uint64_t data = at + kTypeLen;
    if (type_end - data < *extra) r.fail(at, "type data runs past the type section");
    if ((kind == kEnum || kind == kEnum64) && name_at(name_off, at) == enum_name) {
      std::map<std::string, int64_t> out;
      size_t step = kind == kEnum ? 8 : 12;
      for (uint32_t i = 0; i < vlen; ++i) {
        size_t e = data + i * step;
        int64_t value;
        if (kind == kEnum) {
          uint32_t raw = r.get<uint32_t>(e + 4);
          value = kflag ? int64_t{static_cast<int32_t>(raw)} : int64_t{raw};
        } else {
          uint64_t raw = uint64_t{r.get<uint32_t>(e + 8)} << 32 | r.get<uint32_t>(e + 4);
          value = static_cast<int64_t>(raw);  // two's complement: right for signed, wraps unsigned > INT64_MAX
        }
        out.emplace(std::string(name_at(r.get<uint32_t>(e), e)), value);
      }
      return out;
    }
    at = data + *extra;
  }
  return std::nullopt;
}

std::optional<std::map<std::string, int64_t>> read_btf_enum(const std::filesystem::path& btf_file,
                                                            std::string_view enum_name) {
  // sysfs reports the real size of /sys/kernel/btf/vmlinux, but read to EOF
  // anyway so that files with a zero or stale st_size work too.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(btf_file, ec)) return std::nullopt;
  std::ifstream in(btf_file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return parse_btf_enum(bytes, enum_name, btf_file.string());
}

}  // namespace poisonlab::agent
