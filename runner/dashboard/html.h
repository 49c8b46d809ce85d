#pragma once
// Text into HTML and paths into links, for the pages the dashboard writes.
#include <filesystem>
#include <string>
#include <string_view>

namespace poisonlab {

// & < > " ' escaped: safe in element content and in quoted attributes.
std::string html_escape(std::string_view text);
// The path of target relative to the directory `from` (both made absolute
// first), percent-encoded for a URL ('/' kept): an href that works from
// file:// pages in `from`.
std::string relative_href(const std::filesystem::path& target, const std::filesystem::path& from);

}  // namespace poisonlab
