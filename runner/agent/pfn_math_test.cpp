#include "agent/pfn_math.h"

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

// The layout measured in the guest: region0 at 4 GiB, namespace0.0 at the
// region start, fsdax data 2 MiB into the namespace.
PmemLayout guest_layout() { return {0x100000000, 0x100000000, 0x100200000}; }

TEST(PfnMath, LayoutDecomposition) {
  PmemLayout l = guest_layout();
  EXPECT_EQ(l.namespace_offset(), 0u);
  EXPECT_EQ(l.data_offset(), 0x200000u);
  PmemLayout shifted{0x100000000, 0x100400000, 0x100600000};
  EXPECT_EQ(shifted.namespace_offset(), 0x400000u);
  EXPECT_EQ(shifted.data_offset(), 0x200000u);
}

TEST(PfnMath, PfnOfPmemOffset) {
  // 0x100200000 >> 12 = 0x100200; block 123 of the disk adds 123 pages.
  EXPECT_EQ(pfn_of(guest_layout(), 0), 0x100200u);
  EXPECT_EQ(pfn_of(guest_layout(), 123 * 4096), 0x100200u + 123);
  // A byte inside a page belongs to that page.
  EXPECT_EQ(pfn_of(guest_layout(), 123 * 4096 + 4095), 0x100200u + 123);
  EXPECT_EQ(physical_address_of(guest_layout(), 0x7b000), 0x10027b000u);
}

TEST(PfnMath, ExtentLookupSingleExtent) {
  std::vector<Extent> ext{{0, 0x500000, 65536, 0x1 /*LAST*/}};
  EXPECT_EQ(device_offset_of(ext, 0), 0x500000u);
  EXPECT_EQ(device_offset_of(ext, 4 * 4096), 0x500000u + 4 * 4096);
  EXPECT_EQ(device_offset_of(ext, 65535), 0x500000u + 65535);
  EXPECT_FALSE(device_offset_of(ext, 65536).has_value());
}

TEST(PfnMath, ExtentLookupTwoExtents) {
  // Pages 0-1 at 1 MiB, pages 2-5 at 8 MiB.
  std::vector<Extent> ext{{0, 0x100000, 8192, 0}, {8192, 0x800000, 16384, 0x1}};
  EXPECT_EQ(device_offset_of(ext, 4096), 0x101000u);
  EXPECT_EQ(device_offset_of(ext, 8192), 0x800000u);
  EXPECT_EQ(device_offset_of(ext, 5 * 4096), 0x800000u + 3 * 4096);
}

TEST(PfnMath, ExtentWithoutLocationIsUnknown) {
  std::vector<Extent> ext{{0, 0, 65536, 0x4 /*DELALLOC*/}};
  EXPECT_FALSE(device_offset_of(ext, 4096).has_value());
  std::vector<Extent> hole{{8192, 0x100000, 4096, 0}};
  EXPECT_FALSE(device_offset_of(hole, 0).has_value());
}

TEST(PfnMath, ParseLinearTable) {
  auto t = parse_linear_table("0 2064384 linear 259:0 32768\n");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].start_sector, 0u);
  EXPECT_EQ(t[0].length_sectors, 2064384u);
  EXPECT_EQ(t[0].device, "259:0");
  EXPECT_EQ(t[0].offset_sectors, 32768u);
  EXPECT_THROW(parse_linear_table("0 100 striped 2 8 259:0 0 259:1 0"), std::invalid_argument);
  EXPECT_THROW(parse_linear_table("0 100 linear"), std::invalid_argument);
}

TEST(PfnMath, MapThroughLinearOffset) {
  // 32768 sectors = 16 MiB: dm byte 0x5000 is pmem byte 16 MiB + 0x5000.
  auto t = parse_linear_table("0 2064384 linear 259:0 32768");
  EXPECT_EQ(map_through_linear(t, 0x5000), 0x1000000u + 0x5000);
  EXPECT_FALSE(map_through_linear(t, 2064384ull * 512).has_value());
  // Whole chain: pfn of dm byte 0x5000 = (0x100200000 + 0x1005000) >> 12.
  EXPECT_EQ(pfn_of(guest_layout(), *map_through_linear(t, 0x5000)), 0x101205u);
}

TEST(PfnMath, MapThroughTwoSegments) {
  // dm sectors 0-99 -> pmem 1000.., dm sectors 100-199 -> pmem 5000..
  auto t = parse_linear_table("0 100 linear 259:0 1000\n100 100 linear 259:0 5000\n");
  EXPECT_EQ(map_through_linear(t, 99 * 512 + 7), 1099u * 512 + 7);
  EXPECT_EQ(map_through_linear(t, 100 * 512), 5000u * 512);
  EXPECT_EQ(map_through_linear(t, 150 * 512 + 1), 5050u * 512 + 1);
}

}  // namespace
}  // namespace poisonlab::agent
