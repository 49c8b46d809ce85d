#include "agent/pagemap.h"

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

TEST(Pagemap, PresentWithPfn) {
  // present (63) + file/shared (61) + pfn 0x10027b
  auto e = decode_pagemap((1ull << 63) | (1ull << 61) | 0x10027b);
  EXPECT_TRUE(e.present);
  EXPECT_TRUE(e.file_or_shared_anon);
  EXPECT_FALSE(e.swapped);
  ASSERT_TRUE(e.pfn.has_value());
  EXPECT_EQ(*e.pfn, 0x10027bu);
}

TEST(Pagemap, PfnUsesBits0To54Only) {
  // Bit 55 (soft-dirty) and 56 (exclusive) must not leak into the pfn.
  auto e = decode_pagemap((1ull << 63) | (1ull << 56) | (1ull << 55) | 0x42);
  EXPECT_TRUE(e.exclusive);
  EXPECT_EQ(e.pfn.value_or(0), 0x42u);
  auto max = decode_pagemap((1ull << 63) | ((1ull << 55) - 1));
  EXPECT_EQ(max.pfn.value_or(0), (1ull << 55) - 1);
}

TEST(Pagemap, NotPresentHasNoPfn) {
  auto e = decode_pagemap(0);
  EXPECT_FALSE(e.present);
  EXPECT_FALSE(e.pfn.has_value());
  // Swapped entries carry swap type/offset in the low bits, not a pfn.
  auto s = decode_pagemap((1ull << 62) | 0x1234);
  EXPECT_FALSE(s.present);
  EXPECT_TRUE(s.swapped);
  EXPECT_FALSE(s.pfn.has_value());
}

TEST(Pagemap, HiddenPfnIsUnknown) {
  // Without CAP_SYS_ADMIN the kernel reports present with pfn 0.
  auto e = decode_pagemap(1ull << 63);
  EXPECT_TRUE(e.present);
  EXPECT_FALSE(e.pfn.has_value());
}

TEST(Pagemap, ReadsOwnMapping) {
  // Our own stack page is present; pfn may be hidden without privileges.
  int local = 1;
  auto raw = read_pagemap(getpid(), reinterpret_cast<uint64_t>(&local), 1);
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_TRUE(decode_pagemap(raw[0]).present);
}

}  // namespace
}  // namespace poisonlab::agent
