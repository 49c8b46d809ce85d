// Hand-worked cases for the address arithmetic (dm-linear offsets,
// concatenation seams, stripe chunks, reflink sharers).
#include <gtest/gtest.h>

#include "address/dm_table.h"
#include "address/extents.h"
#include "address/stack_map.h"

namespace poisonlab::address {
namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;

TEST(DmTable, LinearWithOffset) {
  DmTable t = DmTable::parse("0 2064384 linear 259:0 32768\n");
  EXPECT_EQ(t.size_bytes(), 2064384 * 512ull);
  auto p = t.map(4096, 8192);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], (DevicePiece{"259:0", 16 * MiB + 4096, 8192, 4096}));
  EXPECT_EQ(t.reverse("259:0", 16 * MiB + 4096), 4096u);
  EXPECT_EQ(t.reverse("259:0", 16 * MiB - 1), std::nullopt);  // before the target's start on the device
  EXPECT_EQ(t.reverse("259:1", 16 * MiB), std::nullopt);
  EXPECT_TRUE(t.seams().empty());
  EXPECT_EQ(t.text(), "0 2064384 linear 259:0 32768\n");
}

TEST(DmTable, ConcatenationSeam) {
  DmTable t = DmTable::parse("0 1000 linear 259:0 0\n1000 2000 linear 259:1 8\n");
  ASSERT_EQ(t.seams(), std::vector<uint64_t>{1000 * 512});
  // 1 KiB straddling the seam: the last sector of pmem0, the first mapped sector of pmem1.
  auto p = t.map(999 * 512, 1024);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], (DevicePiece{"259:0", 999 * 512, 512, 999 * 512}));
  EXPECT_EQ(p[1], (DevicePiece{"259:1", 8 * 512, 512, 1000 * 512}));
  EXPECT_EQ(t.reverse("259:1", 8 * 512), 1000 * 512u);
  EXPECT_EQ(t.reverse("259:1", 8 * 512 + 2000 * 512), std::nullopt);  // past the target's length
  EXPECT_EQ(t.size_bytes(), 3000 * 512u);
  // A range past the end is cut.
  EXPECT_EQ(t.map(2999 * 512, 4096).size(), 1u);
  EXPECT_EQ(t.map(2999 * 512, 4096)[0].length, 512u);
}

TEST(DmTable, StripeChunks) {
  // 2 stripes of 64 KiB chunks: chunk 0 -> leg 0, chunk 1 -> leg 1, chunk 2 -> leg 0 at 64 KiB, ...
  DmTable t = DmTable::parse("0 1024 striped 2 128 259:0 0 259:1 0");
  auto at = [&](uint64_t dm) { return t.map(dm, 1).at(0); };
  EXPECT_EQ(at(0).device, "259:0");
  EXPECT_EQ(at(64 * KiB).device, "259:1");
  EXPECT_EQ(at(64 * KiB).offset, 0u);
  EXPECT_EQ(at(128 * KiB).device, "259:0");
  EXPECT_EQ(at(128 * KiB).offset, 64 * KiB);
  EXPECT_EQ(at(192 * KiB + 5).device, "259:1");
  EXPECT_EQ(at(192 * KiB + 5).offset, 64 * KiB + 5);
  // 8 KiB across the first chunk boundary: two pieces on two legs.
  auto p = t.map(60 * KiB, 8 * KiB);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], (DevicePiece{"259:0", 60 * KiB, 4 * KiB, 60 * KiB}));
  EXPECT_EQ(p[1], (DevicePiece{"259:1", 0, 4 * KiB, 64 * KiB}));
  EXPECT_EQ(t.reverse("259:1", 64 * KiB + 5), 192 * KiB + 5);
  EXPECT_EQ(t.reverse("259:0", 64 * KiB), 128 * KiB);
  EXPECT_EQ(t.next_chunk_boundary(60 * KiB), 64 * KiB);
  EXPECT_EQ(t.next_chunk_boundary(64 * KiB), 64 * KiB);
  EXPECT_EQ(t.next_chunk_boundary(0), 64 * KiB);  // the target's start is not a boundary between chunks
  EXPECT_EQ(t.next_chunk_boundary(500 * KiB), std::nullopt);  // 512 KiB is the end of the target
}

TEST(DmTable, StripeLegOffsets) {
  DmTable t = DmTable::parse("0 512 striped 2 128 259:0 2048 259:1 4096");
  EXPECT_EQ(t.map(64 * KiB, 1)[0], (DevicePiece{"259:1", 2 * MiB, 1, 64 * KiB}));
  EXPECT_EQ(t.reverse("259:1", 2 * MiB + 100), 64 * KiB + 100);
  EXPECT_EQ(t.reverse("259:0", 1 * MiB + 64 * KiB), 128 * KiB);
  EXPECT_EQ(t.reverse("259:0", 2048 * 512 - 1), std::nullopt);
}

TEST(DmTable, RoundTripEveryPage) {
  DmTable t = DmTable::parse("0 4096 striped 2 16 259:0 8 259:1 0\n4096 2048 linear 259:1 4096\n");
  for (uint64_t dm = 0; dm < t.size_bytes(); dm += 4096) {
    auto p = t.map(dm, 4096);
    ASSERT_EQ(p.size(), 1u) << dm;  // 8 KiB chunks: a page never straddles here
    EXPECT_EQ(t.reverse(p[0].device, p[0].offset), dm);
  }
}

TEST(DmTable, RejectsWhatItCannotMap) {
  EXPECT_THROW(DmTable::parse("0 100 crypt aes 259:0 0"), std::invalid_argument);
  EXPECT_THROW(DmTable::parse("0 100 linear 259:0"), std::invalid_argument);
  EXPECT_THROW(DmTable::parse("0 100 striped 2 128 259:0 0 259:1 0"), std::invalid_argument);  // not a multiple
  EXPECT_THROW(DmTable::parse("0 100 linear 259:0 0\n200 100 linear 259:1 0"), std::invalid_argument);  // gap
  try {
    DmTable::parse("0 100 linear 259:0 0 junk");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("junk"), std::string::npos);
  }
}

TEST(Extents, DeviceOffsetAndOwnersWithReflinkSharers) {
  std::vector<Extent> victim{{0, 1 * MiB, 64 * KiB, 0x2000}, {64 * KiB, 4 * MiB, 64 * KiB, 0x1}};
  std::vector<Extent> sharer{{0, 1 * MiB, 64 * KiB, 0x2000}};
  EXPECT_EQ(device_offset_of(victim, 8 * KiB), 1 * MiB + 8 * KiB);
  EXPECT_EQ(device_offset_of(victim, 64 * KiB + 1), 4 * MiB + 1);
  EXPECT_EQ(device_offset_of(victim, 128 * KiB), std::nullopt);
  auto owners = owners_of({{"victim", victim}, {"sharer-0", sharer}}, 1 * MiB + 8 * KiB);
  EXPECT_EQ(owners, (std::vector<FileByte>{{"victim", 8 * KiB}, {"sharer-0", 8 * KiB}}));
  EXPECT_EQ(owners_of({{"victim", victim}, {"sharer-0", sharer}}, 4 * MiB).size(), 1u);
  EXPECT_TRUE(owners_of({{"victim", victim}}, 2 * MiB).empty());
}

TEST(Extents, UnusableExtentsHaveNoLocation) {
  std::vector<Extent> inline_data{{0, 0, 4096, 0x400}};
  EXPECT_EQ(device_offset_of(inline_data, 0), std::nullopt);
  EXPECT_TRUE(owners_of({{"f", inline_data}}, 0).empty());
}

TEST(Extents, CrossesExtentBoundary) {
  std::vector<Extent> two{{0, 1 * MiB, 32 * KiB, 0}, {32 * KiB, 3 * MiB, 32 * KiB, 0}};
  EXPECT_FALSE(crosses_extent_boundary(two, 0, 32 * KiB));
  EXPECT_TRUE(crosses_extent_boundary(two, 24 * KiB, 16 * KiB));
  EXPECT_TRUE(crosses_extent_boundary(two, 56 * KiB, 16 * KiB));  // runs into a hole past the end
}

StackMap concat_stack() {
  PmemDisk d0{"pmem0", "259:0", 1000 * 512, {4 * (1ull << 30), 4 * (1ull << 30), 4 * (1ull << 30) + 2 * MiB}};
  PmemDisk d1{"pmem1", "259:1", 3000 * 512, {5 * (1ull << 30), 5 * (1ull << 30), 5 * (1ull << 30) + 2 * MiB}};
  return StackMap({d0, d1}, DmTable::parse("0 1000 linear 259:0 0\n1000 2000 linear 259:1 8\n"));
}

TEST(StackMap, ConcatPhysicalAddressesBothWays) {
  StackMap s = concat_stack();
  auto p = s.to_disks(999 * 512, 1024);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].disk, 0u);
  EXPECT_EQ(p[0].phys, 4 * (1ull << 30) + 2 * MiB + 999 * 512);
  EXPECT_EQ(p[1].disk, 1u);
  EXPECT_EQ(p[1].phys, 5 * (1ull << 30) + 2 * MiB + 8 * 512);
  EXPECT_EQ(s.fs_offset_of_phys(p[1].phys), 1000 * 512u);
  EXPECT_EQ(s.fs_offset_of_phys(5 * (1ull << 30) + 2 * MiB), std::nullopt);  // pmem1's first 8 sectors are unmapped
  EXPECT_EQ(s.fs_offset_of_phys(3 * (1ull << 30)), std::nullopt);             // not pmem at all
  auto d = s.disk_of_phys(5 * (1ull << 30) + 2 * MiB + 4096);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->disk, 1u);
  EXPECT_EQ(d->offset, 4096u);
}

// The layout measured in the guest: region0 at 4 GiB, namespace0.0 at the
// region start, fsdax data 2 MiB into the namespace; the kernel printed
// pfn 0x10027b for disk byte 0x7b000 (kernel-facts.md).
TEST(StackMap, MeasuredGuestLayout) {
  PmemLayout l{0x100000000, 0x100000000, 0x100200000};
  EXPECT_EQ(l.namespace_offset(), 0u);
  EXPECT_EQ(l.data_offset(), 0x200000u);
  StackMap s({{"pmem0", "259:0", 1ull << 30, l}}, std::nullopt);
  EXPECT_EQ(s.locate(0x7b000)->phys / kPageSize, 0x10027bu);
  EXPECT_EQ(s.locate(0x7b000 + 4095)->phys / kPageSize, 0x10027bu);
}

TEST(StackMap, RawDiskIsIdentity) {
  PmemDisk d0{"pmem0", "259:0", 64 * MiB, {1ull << 32, 1ull << 32, (1ull << 32) + 2 * MiB}};
  StackMap s({d0}, std::nullopt);
  EXPECT_EQ(s.locate(8192)->phys, (1ull << 32) + 2 * MiB + 8192);
  EXPECT_EQ(s.fs_offset_of_phys((1ull << 32) + 2 * MiB + 8192), 8192u);
  EXPECT_EQ(s.fs_device_bytes(), 64 * MiB);
}

TEST(StackMap, JsonRoundTripAndUnknownLegDevice) {
  StackMap s = concat_stack();
  nlohmann::json j = {{"disks", s.disks()}, {"dm_table", s.dm()->text()}};
  StackMap back = StackMap::from_json(j);
  EXPECT_EQ(back.disks(), s.disks());
  EXPECT_EQ(back.dm()->targets(), s.dm()->targets());
  j["dm_table"] = "0 100 linear 259:7 0";
  EXPECT_THROW(StackMap::from_json(j), std::invalid_argument);
}

}  // namespace
}  // namespace poisonlab::address
