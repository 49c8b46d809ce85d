#include "observe/mf_flags.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

using nlohmann::json;

// enum mf_flags of the Debian 6.12 kernel, as the agent read it from BTF.
const json kEnum612 = {{"MF_COUNT_INCREASED", 1}, {"MF_ACTION_REQUIRED", 2}, {"MF_MUST_KILL", 4},
                       {"MF_SOFT_OFFLINE", 8},    {"MF_UNPOISON", 16},       {"MF_SW_SIMULATED", 32},
                       {"MF_NO_RETRY", 64},       {"MF_MEM_PRE_REMOVE", 128}};

TEST(MfFlags, DecodesNamesInValueOrder) {
  auto d = decode_mf_flags(0x23, kEnum612);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->names, (std::vector<std::string>{"MF_COUNT_INCREASED", "MF_ACTION_REQUIRED", "MF_SW_SIMULATED"}));
  EXPECT_EQ(d->unknown_bits, 0u);
}

TEST(MfFlags, UnnamedBitsAreKept) {
  auto d = decode_mf_flags(0x180, {{"MF_MEM_PRE_REMOVE", 128}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->names, std::vector<std::string>{"MF_MEM_PRE_REMOVE"});
  EXPECT_EQ(d->unknown_bits, 0x100u);
}

TEST(MfFlags, WithoutAnEnumNothingIsNamed) {
  EXPECT_FALSE(decode_mf_flags(1, nullptr));
  EXPECT_FALSE(decode_mf_flags(1, json::object()));
  EXPECT_FALSE(decode_mf_flags(1, {{"MF_X", "two"}}));
  json j = flags_json(0x80, nullptr);
  EXPECT_EQ(j["value"], "0x80");
  EXPECT_EQ(j["names"], nullptr);
}

TEST(MfFlags, LooksUpOneName) {
  EXPECT_EQ(mf_flag_value(kEnum612, "MF_MEM_PRE_REMOVE"), 128u);
  EXPECT_FALSE(mf_flag_value({{"MF_ACTION_REQUIRED", 2}}, "MF_MEM_PRE_REMOVE"));
}

TEST(MfFlags, ParsesTraceText) {
  EXPECT_EQ(parse_trace_number("0x23"), 0x23u);
  EXPECT_EQ(parse_trace_number("35"), 35u);
  EXPECT_FALSE(parse_trace_number("0xzz"));
  EXPECT_FALSE(parse_trace_number(""));
  EXPECT_FALSE(parse_trace_number("-1"));
}

}  // namespace
}  // namespace poisonlab
