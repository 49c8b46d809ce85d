#pragma once
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace poisonlab {

std::string read_file(const std::filesystem::path& path);
// A file the user named (a scenario, a matrix, a report): one that cannot
// be read is bad input, an InputError naming it (exit 2), not trouble of
// the environment.
std::string read_input_file(const std::filesystem::path& path);
// Writes to a temporary file beside path, fsyncs, renames over path: a
// reader sees the old or the new content, never a torn one.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);
// The same for content too large to hold as one string: write streams it
// into the temporary file. Returns the bytes written.
size_t write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);
std::string sha256_hex(std::string_view data);
std::string sha256_file(const std::filesystem::path& path);
// The last max_lines lines of a file ("" if it does not exist).
std::string tail_file(const std::filesystem::path& path, size_t max_lines);
// Directory of the running executable (/proc/self/exe).
std::filesystem::path executable_dir();

}  // namespace poisonlab
