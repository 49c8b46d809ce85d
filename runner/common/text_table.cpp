#include "common/text_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace poisonlab {

std::string TextTable::format(const std::string& indent) const {
  std::vector<size_t> widths;
  for (const Column& column : columns_) widths.push_back(column.title.size());
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  auto line = [&](auto cell_at) {
    std::string out = indent;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string& cell = cell_at(i);
      bool last = i + 1 == columns_.size();
      if (columns_[i].right_aligned)
        out += fmt::format("{:>{}}", cell, widths[i]);
      else
        out += last ? cell : fmt::format("{:<{}}", cell, widths[i]);
      if (!last) out += "  ";
    }
    out.erase(out.find_last_not_of(' ') + 1);  // an empty last cell leaves no trailing blanks
    return out + "\n";
  };
  static const std::string kEmpty;
  std::string out = line([&](size_t i) -> const std::string& { return columns_[i].title; });
  for (const auto& row : rows_)
    out += line([&](size_t i) -> const std::string& { return i < row.size() ? row[i] : kEmpty; });
  return out;
}

}  // namespace poisonlab
