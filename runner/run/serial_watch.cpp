#include "run/serial_watch.h"

#include <fstream>

namespace poisonlab {

namespace {
bool fatal(const KernelLogFinding& f) {
  return f.kind == kKindBug || f.kind == kKindOops || f.kind == kKindGeneralProtectionFault ||
         f.kind == kKindKernelPanic;
}
}  // namespace

SerialWatch::SerialWatch(std::filesystem::path serial_log) : path_(std::move(serial_log)) {
  std::error_code ec;
  offset_ = std::filesystem::file_size(path_, ec);
  if (ec) offset_ = 0;
}

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
