#include "run/serial_watch.h"

#include <fstream>

namespace poisonlab {

namespace {
bool fatal(const KernelLogFinding& f) {
  return f.kind == kKindBug || f.kind == kKindOops || f.kind == kKindGeneralProtectionFault ||
         f.kind == kKindKernelPanic;
}
}  // namespace

uint64_t serial_log_size(const std::filesystem::path& serial_log) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(serial_log, ec);
  return ec ? 0 : size;
}

std::string console_since(const std::filesystem::path& serial_log, uint64_t offset, size_t max_bytes) {
  uint64_t size = serial_log_size(serial_log);
  if (size <= offset) return "";
  bool cut = size - offset > max_bytes;
  if (cut) offset = size - max_bytes;
  std::ifstream in(serial_log, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (cut) {
    size_t nl = text.find('\n');
    text.erase(0, nl == std::string::npos ? text.size() : nl + 1);
  }
  return text;
}

SerialWatch::SerialWatch(std::filesystem::path serial_log)
    : path_(std::move(serial_log)), offset_(serial_log_size(path_)) {}

std::optional<KernelLogFinding> SerialWatch::poll() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string fresh((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  offset_ += fresh.size();
  std::string text = partial_ + fresh;
  size_t end = text.rfind('\n');
  partial_ = end == std::string::npos ? text : text.substr(end + 1);
  if (end == std::string::npos) return std::nullopt;
  for (const auto& f : find_kernel_problems(std::string_view(text).substr(0, end + 1)))
    if (fatal(f)) return f;
  return std::nullopt;
}

}  // namespace poisonlab
