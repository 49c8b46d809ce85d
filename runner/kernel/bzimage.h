#pragma once
// x86 bzImage parsing: the kernel release string (setup header
// kernel_version field), for custom images, and the compressed kernel ELF
// inside, so QEMU can boot it through its PVH entry point without running
// the decompressor in the emulated CPU.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace poisonlab {

// "6.12.95+deb12-amd64" or nullopt if the bytes are not a bzImage with a
// version string.
std::optional<std::string> bzimage_release(const std::string& image_bytes);
std::optional<std::string> bzimage_release_of_file(const std::filesystem::path& image);

// The compressed vmlinux of a bzImage (setup header payload_offset and
// payload_length, boot protocol 2.08+).
struct BzimagePayload {
  std::string format;          // "zstd", "xz" or "gzip" (from the magic bytes); "" if unknown
  std::string data;            // the compressed stream, without the appended size
  std::optional<uint32_t> uncompressed_size;  // the little-endian size the kernel build appends (not for gzip)
};
std::optional<BzimagePayload> bzimage_payload(const std::string& image_bytes);

// Whether an ELF64 image carries a XEN_ELFNOTE_PHYS32_ENTRY note (Linux
// with CONFIG_PVH): QEMU's -kernel then boots it directly (pvh.bin).
bool elf_has_pvh_entry(const std::string& elf_bytes);

// Where the kernel cache keeps IMAGE's uncompressed kernel ELF: in the
// variant's cache folder DIR (never beside a user's --kernel-image).
std::filesystem::path pvh_image_path(const std::filesystem::path& dir, const std::filesystem::path& image);

// Decompresses IMAGE's payload with the host's zstd/xz/gzip and writes it
// atomically to OUT if it is an ELF with a PVH entry. Returns whether it
// did; if not, why says why (not a bzImage, an unknown compression, no PVH
// note, a size mismatch): the caller then boots the bzImage as before.
bool write_pvh_image(const std::filesystem::path& image, const std::filesystem::path& out, std::string& why);

}  // namespace poisonlab
