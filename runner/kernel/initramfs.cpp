#include "kernel/initramfs.h"

#include <fmt/format.h>

#include <cstring>
#include <set>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"

namespace poisonlab {
namespace {

constexpr uint32_t kDirMode = 0040000;
constexpr uint32_t kFileMode = 0100000;
constexpr uint32_t kCharMode = 0020000;
constexpr size_t kHeaderSize = 110;

void pad4(std::string& out) {
  while (out.size() % 4) out.push_back('\0');
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

uint32_t hex_field(const std::string& archive, size_t pos) {
  if (pos + 8 > archive.size()) throw UserError("cpio archive truncated in a header");
  return static_cast<uint32_t>(std::stoul(archive.substr(pos, 8), nullptr, 16));
}

template <typename T>
T read_le(const std::string& bytes, size_t pos) {
  T value{};
  if (pos + sizeof(T) <= bytes.size()) std::memcpy(&value, bytes.data() + pos, sizeof(T));
  return value;  // x86-64 hosts: little-endian like the ELF files they run
}

}  // namespace

void CpioWriter::add_entry(const std::string& path, uint32_t mode, const std::string& data, uint32_t rdev_major,
                           uint32_t rdev_minor) {
  uint32_t nlink = (mode & 0170000) == kDirMode ? 2 : 1;
  out_ += fmt::format("070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                      next_inode_++, mode, 0, 0, nlink, 0, data.size(), 0, 0, rdev_major, rdev_minor,
                      path.size() + 1, 0);
  out_ += path;
  out_.push_back('\0');
  pad4(out_);
  out_ += data;
  pad4(out_);
}

void CpioWriter::add_directory(const std::string& path) { add_entry(path, kDirMode | 0755, "", 0, 0); }

void CpioWriter::add_file(const std::string& path, const std::string& data, uint32_t mode) {
  add_entry(path, kFileMode | (mode & 07777), data, 0, 0);
}

void CpioWriter::add_char_device(const std::string& path, uint32_t major, uint32_t minor, uint32_t mode) {
  add_entry(path, kCharMode | (mode & 07777), "", major, minor);
}

std::string CpioWriter::finish() {
  next_inode_ = 0;
  add_entry("TRAILER!!!", 0, "", 0, 0);
  return std::move(out_);
}

std::vector<CpioEntry> read_cpio(const std::string& archive) {
  std::vector<CpioEntry> out;
  size_t pos = 0;
  while (true) {
    if (pos + kHeaderSize > archive.size()) throw UserError("cpio archive truncated (no trailer)");
    if (archive.compare(pos, 6, "070701") != 0) throw UserError(fmt::format("cpio: bad magic at offset {}", pos));
    uint32_t mode = hex_field(archive, pos + 14);
    uint32_t size = hex_field(archive, pos + 54);
    uint32_t name_size = hex_field(archive, pos + 94);
    size_t name_pos = pos + kHeaderSize;
    if (name_size == 0 || name_pos + name_size > archive.size()) throw UserError("cpio: bad name size");
    std::string name = archive.substr(name_pos, name_size - 1);
    size_t data_pos = (name_pos + name_size + 3) & ~size_t{3};
    if (data_pos + size > archive.size()) throw UserError("cpio: entry data truncated");
    if (name == "TRAILER!!!") return out;
    out.push_back({name, mode, archive.substr(data_pos, size)});
    pos = (data_pos + size + 3) & ~size_t{3};
  }
}

std::string read_module(const std::filesystem::path& path) {
  std::string p = path.string();
  if (ends_with(p, ".ko")) return read_file(path);
  if (ends_with(p, ".xz")) return run_checked({require_program("xz", "xz-utils").string(), "-dc", p}).out;
  if (ends_with(p, ".zst")) return run_checked({require_program("zstd", "zstd").string(), "-dc", p}).out;
  if (ends_with(p, ".gz")) return run_checked({require_program("gzip", "gzip").string(), "-dc", p}).out;
  throw UserError(fmt::format("{}: unknown module file suffix (expected .ko, .ko.xz, .ko.zst or .ko.gz)", p));
}

std::string initramfs_module_name(const std::string& module_path) {
  std::string base = module_path.substr(module_path.find_last_of('/') + 1);
  size_t ko = base.find(".ko");
  return ko == std::string::npos ? base : base.substr(0, ko + 3);
}

std::vector<std::string> build_initramfs(const InitramfsInputs& inputs, const std::filesystem::path& out) {
  CpioWriter cpio;
  for (const char* dir : {"bin", "dev", "proc", "sys", "host", "tmp", "lib", "lib/modules"}) cpio.add_directory(dir);
  // The kernel opens /dev/console for init's stdio before devtmpfs is mounted.
  cpio.add_char_device("dev/console", 5, 1);
  cpio.add_file("bin/busybox", read_file(inputs.busybox), 0755);
  cpio.add_file("init", inputs.init_script, 0755);
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::string order;
  for (const auto& rel : inputs.module_paths) {
    std::string name = initramfs_module_name(rel);
    if (!seen.insert(name).second)
      throw UserError(fmt::format("two modules named {} in the closure ({})", name, rel));
    cpio.add_file("lib/modules/" + name, read_module(inputs.modules_root / rel));
    names.push_back(name);
    order += name + "\n";
  }
  cpio.add_file("modules.order", order);
  write_file_atomic(out, cpio.finish());
  return names;
}

bool elf_is_static(const std::string& elf) {
  if (elf.size() < 64 || elf.compare(0, 4, "\x7f" "ELF") != 0 || elf[4] != 2) return false;
  auto phoff = read_le<uint64_t>(elf, 0x20);
  auto phentsize = read_le<uint16_t>(elf, 0x36);
  auto phnum = read_le<uint16_t>(elf, 0x38);
  constexpr uint32_t kPtInterp = 3;
  for (uint16_t i = 0; i < phnum; ++i) {
    size_t at = phoff + size_t{i} * phentsize;
    if (at + 4 > elf.size()) return false;
    if (read_le<uint32_t>(elf, at) == kPtInterp) return false;
  }
  return true;
}

std::filesystem::path find_static_busybox() {
  auto busybox = require_program("busybox", "busybox-static");
  if (!elf_is_static(read_file(busybox)))
    throw UserError(fmt::format("{} is not statically linked; the guest initramfs needs the Debian package "
                                "busybox-static (run ./setup.sh)", busybox.string()));
  return busybox;
}

}  // namespace poisonlab
