#include "report/matrix.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

using nlohmann::json;

json two_cells() {
  return json::parse(R"([
    {"id": "k/raw/xfs/mce", "verdict": "pass",
     "oracles": [{"name": "a", "verdict": "pass"}, {"name": "b", "verdict": "skip"}]},
    {"id": "k/dm-linear/xfs/mce", "verdict": "fail",
     "oracles": [{"name": "a", "verdict": "fail"}, {"name": "c", "verdict": "pass"}]},
    {"id": "k/raw/xfs/unbind", "verdict": "error", "status": "hang", "oracles": []}])");
}

TEST(Matrix, UnionOfOraclesInFirstSeenOrder) {
  json m = correctness_matrix(two_cells());
  EXPECT_EQ(m["oracles"], json::parse(R"(["a", "b", "c"])"));
  EXPECT_EQ(m["cells"]["k/dm-linear/xfs/mce"], json::parse(R"({"a": "fail", "c": "pass"})"));
  EXPECT_EQ(m["cells"]["k/raw/xfs/unbind"], json::object());
}

TEST(Matrix, TextHasARowPerCellAndALegend) {
  std::string text = format_matrix({{"cells", two_cells()}});
  EXPECT_NE(text.find("k/raw/xfs/mce"), std::string::npos);
  EXPECT_NE(text.find(" P  . "), std::string::npos) << text;
  EXPECT_NE(text.find(" F     P"), std::string::npos) << text;
  EXPECT_NE(text.find(" 3 c\n"), std::string::npos) << text;
}

TEST(Matrix, MalformedCellsAndOraclesAreShownAsUnknown) {  // found by tests/fuzz
  json cells = json::parse(R"([{"id": 5, "verdict": 1, "oracles": "none"},
                               {"id": "k/x", "oracles": [7, {"name": "a", "verdict": null}]}])");
  json m = correctness_matrix(cells);
  EXPECT_EQ(m["oracles"], json::parse(R"(["?", "a"])"));
  EXPECT_EQ(m["cells"]["k/x"], json::parse(R"({"?": "?", "a": "?"})"));
  std::string text = format_matrix({{"cells", cells}});
  EXPECT_NE(text.find("?     ?"), std::string::npos) << text;
}

}  // namespace
}  // namespace poisonlab
