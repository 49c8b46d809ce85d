#pragma once
// A plain text table: columns padded to their widest cell, two spaces
// apart; right-aligned columns for numbers. Shared by summary, history trend and
// history regressions.
#include <string>
#include <vector>

namespace poisonlab {

class TextTable {
 public:
  struct Column {
    std::string title;
    bool right_aligned = false;
  };
  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // The header line, then one line per row; every line ends in "\n".
  std::string format(const std::string& indent = "") const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace poisonlab
