#include "agent/btf_enum.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "common/error.h"

namespace poisonlab::agent {
namespace {

// Builds raw BTF the way the kernel lays it out: header, types, strings.
class BtfBuilder {
 public:
  uint32_t str(const std::string& s) {
    uint32_t off = static_cast<uint32_t>(strings_.size());
    strings_ += s;
    strings_ += '\0';
    return off;
  }
  void u32(uint32_t v) { types_.append(reinterpret_cast<const char*>(&v), 4); }
  // struct btf_type; size_or_type is the union's value.
  void type(const std::string& name, uint32_t kind, uint32_t vlen, uint32_t size_or_type, bool kflag = false) {
    u32(name.empty() ? 0 : str(name));
    u32((kflag ? 1u << 31 : 0) | kind << 24 | vlen);
    u32(size_or_type);
  }
  std::string build() const {
    std::string out;
    auto put16 = [&](uint16_t v) { out.append(reinterpret_cast<const char*>(&v), 2); };
    auto put32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
    put16(0xeB9F);
    out += '\x01';  // version
    out += '\x00';  // flags
    put32(24);
    put32(0);
    put32(static_cast<uint32_t>(types_.size()));
    put32(static_cast<uint32_t>(types_.size()));
    put32(static_cast<uint32_t>(strings_.size()));
    return out + types_ + strings_;
  }

 private:
  std::string strings_{std::string(1, '\0')};
  std::string types_;
};

// Every kind, with an enum to find after all of them and an ENUM64 last, so
// a wrong skip for any kind derails the walk before it reaches them.
std::string every_kind_blob() {
  BtfBuilder b;
  b.type("int", 1, 0, 4);             b.u32(0x01000020);  // [1] INT signed 32 bits
  b.type("", 2, 0, 1);                                     // [2] PTR -> int
  b.type("", 3, 0, 0);                b.u32(1); b.u32(1); b.u32(4);  // [3] ARRAY int[4]
  b.type("page", 4, 2, 16);                                // [4] STRUCT
  b.u32(b.str("flags")); b.u32(1); b.u32(0);
  b.u32(b.str("mapping")); b.u32(2); b.u32(64);
  b.type("u", 5, 1, 4);               b.u32(b.str("i")); b.u32(1); b.u32(0);  // [5] UNION
  b.type("other", 6, 1, 4);           b.u32(b.str("OTHER")); b.u32(7);        // [6] ENUM, not the one
  b.type("fwd", 7, 0, 0);                                  // [7] FWD
  b.type("int_t", 8, 0, 1);                                // [8] TYPEDEF
  b.type("", 9, 0, 1);                                     // [9] VOLATILE
  b.type("", 10, 0, 1);                                    // [10] CONST
  b.type("", 11, 0, 2);                                    // [11] RESTRICT
  b.type("", 13, 2, 1);                                    // [12] FUNC_PROTO (int, int)
  b.u32(b.str("pfn")); b.u32(1);
  b.u32(b.str("flags")); b.u32(1);
  b.type("memory_failure", 12, 1, 12);                     // [13] FUNC
  b.type("var", 14, 0, 1);            b.u32(1);            // [14] VAR global
  b.type(".data", 15, 1, 4);          b.u32(14); b.u32(0); b.u32(4);  // [15] DATASEC
  b.type("double", 16, 0, 8);                              // [16] FLOAT
  b.type("tag", 17, 0, 4);            b.u32(static_cast<uint32_t>(-1));  // [17] DECL_TAG
  b.type("user", 18, 0, 1);                                // [18] TYPE_TAG
  b.type("mf_flags", 6, 2, 4);                             // [19] ENUM
  b.u32(b.str("MF_COUNT_INCREASED")); b.u32(1);
  b.u32(b.str("MF_ACTION_REQUIRED")); b.u32(2);
  b.type("signs", 6, 1, 4, true);     b.u32(b.str("NEG")); b.u32(static_cast<uint32_t>(-1));  // signed
  b.type("unsigned", 6, 1, 4);        b.u32(b.str("HIGH")); b.u32(0x80000000u);
  b.type("wide", 19, 2, 8, true);                          // ENUM64, signed
  b.u32(b.str("WIDE_BIG")); b.u32(0); b.u32(1);            // 1 << 32
  b.u32(b.str("WIDE_NEG")); b.u32(0xfffffffe); b.u32(0xffffffff);
  return b.build();
}

TEST(BtfEnum, FindsEnumAfterEveryKind) {
  auto e = parse_btf_enum(every_kind_blob(), "mf_flags", "blob");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, (std::map<std::string, int64_t>{{"MF_COUNT_INCREASED", 1}, {"MF_ACTION_REQUIRED", 2}}));
}

TEST(BtfEnum, Enum64AndSignedness) {
  std::string blob = every_kind_blob();
  auto wide = parse_btf_enum(blob, "wide", "blob");
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->at("WIDE_BIG"), int64_t{1} << 32);
  EXPECT_EQ(wide->at("WIDE_NEG"), -2);
  EXPECT_EQ(parse_btf_enum(blob, "signs", "blob")->at("NEG"), -1);
  EXPECT_EQ(parse_btf_enum(blob, "unsigned", "blob")->at("HIGH"), int64_t{0x80000000});
}

TEST(BtfEnum, AbsentEnumOrNonEnumNameIsNullopt) {
  std::string blob = every_kind_blob();
  EXPECT_FALSE(parse_btf_enum(blob, "no_such_enum", "blob").has_value());
  EXPECT_FALSE(parse_btf_enum(blob, "page", "blob").has_value());  // a struct, not an enum
}

TEST(BtfEnum, TruncatedBlobThrowsNamingSourceAndOffset) {
  std::string blob = every_kind_blob();
  try {
    parse_btf_enum(blob.substr(0, blob.size() - 10), "mf_flags", "vmlinux.btf");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("vmlinux.btf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("offset"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_btf_enum(blob.substr(0, 10), "mf_flags", "b"), UserError);  // inside the header
}

TEST(BtfEnum, TypeSectionEndingMidTypeThrows) {
  // Shrink type_len by 4: the last ENUM64's data then crosses the section end.
  std::string blob = every_kind_blob();
  uint32_t type_len;
  std::memcpy(&type_len, blob.data() + 12, 4);
  type_len -= 4;
  std::memcpy(blob.data() + 12, &type_len, 4);
  EXPECT_THROW(parse_btf_enum(blob, "no_such_enum", "blob"), UserError);
}

TEST(BtfEnum, BadMagicThrows) {
  std::string blob = every_kind_blob();
  std::swap(blob[0], blob[1]);  // BTF of the other byte order
  try {
    parse_btf_enum(blob, "mf_flags", "swapped.btf");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("magic"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("swapped.btf"), std::string::npos) << e.what();
  }
}

TEST(BtfEnum, MissingFileIsNullopt) {
  EXPECT_FALSE(read_btf_enum("/nonexistent/btf/vmlinux", "mf_flags").has_value());
}

TEST(BtfEnum, RunningKernelHasMfFlags) {
  const char* vmlinux = "/sys/kernel/btf/vmlinux";
  if (access(vmlinux, R_OK) != 0) GTEST_SKIP() << vmlinux << " is not readable here";
  auto e = read_btf_enum(vmlinux, "mf_flags");
  ASSERT_TRUE(e.has_value()) << "enum mf_flags not in " << vmlinux;
  ASSERT_TRUE(e->count("MF_ACTION_REQUIRED"));
  EXPECT_GT(e->at("MF_ACTION_REQUIRED"), 0);
}

}  // namespace
}  // namespace poisonlab::agent
