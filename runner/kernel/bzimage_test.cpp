#include "kernel/bzimage.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/fs_util.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

std::string fake_bzimage(const std::string& version, bool with_magic = true) {
  std::string image(0x4000, '\0');
  if (with_magic) image.replace(0x202, 4, "HdrS");
  size_t string_at = 0x3000;
  size_t pointer = string_at - 0x200;
  image[0x20e] = static_cast<char>(pointer & 0xff);
  image[0x20f] = static_cast<char>(pointer >> 8);
  image.replace(string_at, version.size(), version);
  return image;
}

TEST(BzImage, ReadsTheReleaseFromTheSetupHeader) {
  EXPECT_EQ(bzimage_release(fake_bzimage("6.12.95+deb12-amd64 (debian-kernel@lists) #1 SMP")),
            "6.12.95+deb12-amd64");
  EXPECT_EQ(bzimage_release(fake_bzimage(std::string("6.1.0-custom") + '\0' + "junk")), "6.1.0-custom");
}

TEST(BzImage, RejectsOtherFiles) {
  EXPECT_FALSE(bzimage_release(fake_bzimage("6.1.0", false)));
  EXPECT_FALSE(bzimage_release("\x7f" "ELF"));
  EXPECT_FALSE(bzimage_release(""));
  EXPECT_FALSE(bzimage_release_of_file("/nonexistent/bzImage"));
}

void put_le(std::string& bytes, size_t at, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

// A bzImage whose payload is the given compressed stream (the kernel build
// appends the uncompressed size for zstd and xz).
std::string bzimage_with_payload(const std::string& payload, uint8_t setup_sects = 3) {
  std::string image = fake_bzimage("6.12.0-test");
  image[0x1f1] = static_cast<char>(setup_sects);
  put_le(image, 0x206, 0x20f, 2);  // boot protocol 2.15
  size_t base = (size_t{setup_sects ? setup_sects : uint8_t{4}} + 1) * 512;  // 0 means 4
  image.resize(std::max(image.size(), base + 0x100));
  size_t payload_offset = image.size() - base;
  put_le(image, 0x248, payload_offset, 4);
  put_le(image, 0x24c, payload.size(), 4);
  return image + payload + std::string(16, '\0');
}

// A minimal ELF64 with one PT_NOTE segment holding the given notes.
std::string elf_with_notes(const std::vector<std::pair<std::string, uint32_t>>& notes) {
  std::string notes_bytes;
  for (const auto& [name, type] : notes) {
    std::string n(12, '\0');
    put_le(n, 0, name.size() + 1, 4);
    put_le(n, 4, 8, 4);
    put_le(n, 8, type, 4);
    std::string padded_name = name + '\0';
    while (padded_name.size() % 4) padded_name.push_back('\0');
    notes_bytes += n + padded_name + std::string(8, '\x11');
  }
  std::string elf(64 + 56, '\0');
  elf.replace(0, 4, "\x7f" "ELF");
  elf[4] = 2;  // ELFCLASS64
  elf[5] = 1;  // little-endian
  put_le(elf, 0x20, 64, 8);   // e_phoff
  put_le(elf, 0x36, 56, 2);   // e_phentsize
  put_le(elf, 0x38, 1, 2);    // e_phnum
  put_le(elf, 64, 4, 4);      // PT_NOTE
  put_le(elf, 64 + 0x08, elf.size(), 8);  // p_offset
  put_le(elf, 64 + 0x20, notes_bytes.size(), 8);  // p_filesz
  return elf + notes_bytes;
}

TEST(BzImage, FindsThePayloadAndStripsTheAppendedSize) {
  std::string zstd_stream = std::string("\x28\xb5\x2f\xfd", 4) + "compressed";
  std::string sized = zstd_stream + std::string("\x00\x10\x00\x00", 4);  // 4096 bytes uncompressed
  auto p = bzimage_payload(bzimage_with_payload(sized));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->format, "zstd");
  EXPECT_EQ(p->data, zstd_stream);
  EXPECT_EQ(p->uncompressed_size, 4096u);

  std::string xz = std::string("\xfd" "7zXZ\0", 6) + "stream" + std::string("\x07\x00\x00\x00", 4);
  p = bzimage_payload(bzimage_with_payload(xz, 0));  // setup_sects 0 means 4
  ASSERT_TRUE(p);
  EXPECT_EQ(p->format, "xz");
  EXPECT_EQ(p->uncompressed_size, 7u);

  std::string gz = "\x1f\x8b\x08 gzip stream";
  p = bzimage_payload(bzimage_with_payload(gz));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->format, "gzip");
  EXPECT_EQ(p->data, gz);  // gzip keeps its own size: nothing stripped
  EXPECT_FALSE(p->uncompressed_size);

  p = bzimage_payload(bzimage_with_payload("LZ4 or something else"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->format, "");
}

TEST(BzImage, PayloadNeedsAModernHeaderInsideTheFile) {
  EXPECT_FALSE(bzimage_payload(fake_bzimage("6.1.0")));  // protocol field 0: older than 2.08
  std::string image = bzimage_with_payload(std::string("\x28\xb5\x2f\xfd", 4) + "data1234");
  put_le(image, 0x24c, image.size(), 4);  // longer than the file
  EXPECT_FALSE(bzimage_payload(image));
  EXPECT_FALSE(bzimage_payload("\x7f" "ELF"));
}

TEST(BzImage, PvhEntryIsTheXenPhys32EntryNote) {
  EXPECT_TRUE(elf_has_pvh_entry(elf_with_notes({{"GNU", 3}, {"Xen", 18}})));
  EXPECT_FALSE(elf_has_pvh_entry(elf_with_notes({{"Xen", 6}, {"Xen", 7}, {"GNU", 18}})));
  EXPECT_FALSE(elf_has_pvh_entry(elf_with_notes({})));
  std::string truncated = elf_with_notes({{"Xen", 18}});
  truncated.resize(truncated.size() - 10);
  EXPECT_FALSE(elf_has_pvh_entry(truncated));
  EXPECT_FALSE(elf_has_pvh_entry("not an elf"));
}

TEST(BzImage, PvhImageSitsInTheCacheFolder) {
  EXPECT_EQ(pvh_image_path("/c/kernels/debian/x", "/c/kernels/debian/x/tree/boot/vmlinuz-6.12"),
            "/c/kernels/debian/x/vmlinuz-6.12.pvh");
  EXPECT_EQ(pvh_image_path("/c/kernels/custom/ab12", "/home/me/bzImage"), "/c/kernels/custom/ab12/bzImage.pvh");
}

TEST(BzImage, WritesTheDecompressedPvhElf) {
  if (!find_program("zstd")) GTEST_SKIP() << "no zstd on this host";
  TempDir tmp;
  std::string elf = elf_with_notes({{"Xen", 18}}) + std::string(5000, 'k');
  write_file_atomic(tmp.path() / "plain.elf", elf);
  auto compressed = run_checked({"zstd", "-q", "-c", (tmp.path() / "plain.elf").string()}).out;
  std::string size(4, '\0');
  put_le(size, 0, elf.size(), 4);
  auto image = tmp.path() / "vmlinuz";
  write_file_atomic(image, bzimage_with_payload(compressed + size));
  std::string why;
  auto out = tmp.path() / "vmlinuz.pvh";
  ASSERT_TRUE(write_pvh_image(image, out, why)) << why;
  EXPECT_EQ(read_file(out), elf);

  // Without the PVH note: no image, and why says so.
  std::string plain = elf_with_notes({{"GNU", 3}});
  write_file_atomic(tmp.path() / "plain2.elf", plain);
  compressed = run_checked({"zstd", "-q", "-c", (tmp.path() / "plain2.elf").string()}).out;
  put_le(size, 0, plain.size(), 4);
  auto image2 = tmp.path() / "vmlinuz2";
  write_file_atomic(image2, bzimage_with_payload(compressed + size));
  auto out2 = tmp.path() / "vmlinuz2.pvh";
  EXPECT_FALSE(write_pvh_image(image2, out2, why));
  EXPECT_NE(why.find("PVH"), std::string::npos) << why;
  EXPECT_FALSE(std::filesystem::exists(out2));

  // A size that does not match the stream is refused.
  put_le(size, 0, elf.size() + 1, 4);
  compressed = run_checked({"zstd", "-q", "-c", (tmp.path() / "plain.elf").string()}).out;
  write_file_atomic(image2, bzimage_with_payload(compressed + size));
  EXPECT_FALSE(write_pvh_image(image2, out2, why));
  EXPECT_NE(why.find("says"), std::string::npos) << why;
}

}  // namespace
}  // namespace poisonlab
