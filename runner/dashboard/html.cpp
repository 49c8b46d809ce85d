#include "dashboard/html.h"

#include <fmt/format.h>

namespace poisonlab {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

bool url_safe(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~' || c == '/';
}

}  // namespace

std::string relative_href(const std::filesystem::path& target, const std::filesystem::path& from) {
  std::filesystem::path relative =
      std::filesystem::absolute(target).lexically_normal().lexically_relative(std::filesystem::absolute(from).lexically_normal());
  std::string out;
  for (unsigned char c : relative.generic_string()) out += url_safe(c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  return out;
}

}  // namespace poisonlab
