#include "agent/aim.h"

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;

TrialFile victim_with(std::vector<address::Extent> extents, uint64_t pages) {
  TrialFile f;
  f.id = "victim";
  f.role = "victim";
  f.size = pages * 4096;
  f.extents = std::move(extents);
  return f;
}

address::PmemDisk disk(const char* name, const char* majmin, uint64_t bytes, uint64_t data_start) {
  return {name, majmin, bytes, {data_start, data_start, data_start}};
}

TEST(Aim, ExtentBoundaryIsTheSecondExtentsFirstPage) {
  address::StackMap raw({disk("pmem0", "259:0", 64 * MiB, 1ull << 32)}, std::nullopt);
  auto v = victim_with({{0, 2 * MiB, 32 * KiB, 0}, {32 * KiB, 1 * MiB, 32 * KiB, 1}}, 16);
  EXPECT_EQ(boundary_page("extent-boundary", v, raw), 8u);
  auto contiguous = victim_with({{0, 2 * MiB, 64 * KiB, 1}}, 16);
  EXPECT_EQ(boundary_page("extent-boundary", contiguous, raw), std::nullopt);
}

TEST(Aim, StripeChunkBoundaryInsideAContiguousFile) {
  address::StackMap stripe({disk("pmem0", "259:0", 64 * MiB, 1ull << 32), disk("pmem1", "259:1", 64 * MiB, 5ull << 30)},
                           address::DmTable::parse("0 262144 striped 2 128 259:0 0 259:1 0"));
  // The file starts 16 KiB before a 64 KiB chunk boundary: page 4 is the first after it.
  auto v = victim_with({{0, 64 * KiB - 16 * KiB, 128 * KiB, 1}}, 32);
  EXPECT_EQ(boundary_page("stripe-chunk", v, stripe), 4u);
  address::StackMap raw({disk("pmem0", "259:0", 64 * MiB, 1ull << 32)}, std::nullopt);
  EXPECT_EQ(boundary_page("stripe-chunk", v, raw), std::nullopt);  // no stripes, no chunks
}

TEST(Aim, ConcatSeamFoundInASpanningFile) {
  // pmem0 is 1000 sectors: the seam is at byte 512000 of the dm device.
  address::StackMap concat({disk("pmem0", "259:0", 1000 * 512, 1ull << 32), disk("pmem1", "259:1", 4000 * 512, 5ull << 30)},
                           address::DmTable::parse("0 1000 linear 259:0 0\n1000 4000 linear 259:1 0"));
  auto v = victim_with({{0, 512000 - 3 * 4096, 10 * 4096, 0x801}}, 10);  // unwritten (fallocated) still has a place
  EXPECT_EQ(boundary_page("concat-seam", v, concat), 3u);
  auto u = unit_at_fs_offset(concat, 512000);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->disk_name, "pmem1");
  EXPECT_EQ(u->disk_offset, 0u);
  EXPECT_EQ(u->pfn, (5ull << 30) / 4096);
  auto back = unit_at_phys(concat, (5ull << 30) + 4096);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->fs_offset, 512000u + 4096);
  EXPECT_FALSE(unit_at_phys(concat, 3ull << 30));
}

}  // namespace
}  // namespace poisonlab::agent
