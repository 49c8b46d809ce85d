#pragma once
// The kernel release string inside an x86 bzImage (setup header
// kernel_version field), for custom images.
#include <filesystem>
#include <optional>
#include <string>

namespace poisonlab {

// "6.12.95+deb12-amd64" or nullopt if the bytes are not a bzImage with a
// version string.
std::optional<std::string> bzimage_release(const std::string& image_bytes);
std::optional<std::string> bzimage_release_of_file(const std::filesystem::path& image);

}  // namespace poisonlab
