#pragma once
// The guest's initramfs: a newc cpio archive with a static busybox, the init
// script and the modules (decompressed: busybox insmod takes plain .ko).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace poisonlab {

// Writes a newc ("070701") archive in memory; deterministic (mtime 0, root).
class CpioWriter {
 public:
  void add_directory(const std::string& path);
  void add_file(const std::string& path, const std::string& data, uint32_t mode = 0644);
  void add_char_device(const std::string& path, uint32_t major, uint32_t minor, uint32_t mode = 0600);
  // Adds the trailer and returns the archive.
  std::string finish();

 private:
  void add_entry(const std::string& path, uint32_t mode, const std::string& data, uint32_t rdev_major,
                 uint32_t rdev_minor);
  std::string out_;
  uint32_t next_inode_ = 1;
};

struct CpioEntry {
  std::string path;
  uint32_t mode = 0;
  std::string data;
};
// Reads back a newc archive (for tests and checks). Throws on malformed input.
std::vector<CpioEntry> read_cpio(const std::string& archive);

// The module's contents, decompressed by suffix (.xz, .zst, .gz).
std::string read_module(const std::filesystem::path& path);
// "kernel/fs/xfs/xfs.ko.xz" -> "xfs.ko"
std::string initramfs_module_name(const std::string& module_path);

struct InitramfsInputs {
  std::filesystem::path busybox;
  std::string init_script;
  std::filesystem::path modules_root;       // lib/modules/<release>
  std::vector<std::string> module_paths;    // relative to modules_root, load order
};
// Builds the archive and writes it atomically to out. Returns module file
// names in load order (as listed in /modules.order).
std::vector<std::string> build_initramfs(const InitramfsInputs& inputs, const std::filesystem::path& out);

// /bin/busybox from busybox-static; a dynamically linked busybox cannot run
// in the initramfs, so it is refused.
std::filesystem::path find_static_busybox();
bool elf_is_static(const std::string& elf_bytes);

}  // namespace poisonlab
