// CXL region discovery from sysfs, HPA -> DPA, and the poison-list read (issue 5).
#include <gtest/gtest.h>

#include <filesystem>

#include "agent/cxl_observe.h"
#include "agent/cxl_region.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {
namespace fs = std::filesystem;

TEST(CxlRegion, HpaToDpaInsideOneWayRegion) {
  CxlRegionLayout l{0x1090000000ull, 1ull << 30, 0x0, 1};
  EXPECT_EQ(hpa_to_dpa(l, 0x1090000000ull), 0u);
  EXPECT_EQ(hpa_to_dpa(l, 0x1090203000ull), 0x203000u);
  EXPECT_EQ(hpa_to_dpa(l, 0x1090000000ull + (1ull << 30) - 4096), (1ull << 30) - 4096);
  EXPECT_FALSE(hpa_to_dpa(l, 0x1090000000ull + (1ull << 30)));
  EXPECT_FALSE(hpa_to_dpa(l, 0x108ffff000ull));
  // The endpoint decoder's DPA base shifts every address.
  l.dpa_start = 0x10000000;
  EXPECT_EQ(hpa_to_dpa(l, 0x1090203000ull), 0x10203000u);
  // Interleaved regions are not modelled.
  l.interleave_ways = 2;
  EXPECT_FALSE(hpa_to_dpa(l, 0x1090203000ull));
}

TEST(CxlRegion, CreateRegionCommand) {
  EXPECT_EQ(create_region_argv("decoder0.0", "mem0", 512ull << 20),
            (std::vector<std::string>{"cxl", "create-region", "-m", "-d", "decoder0.0", "-w", "1", "-t", "pmem", "mem0",
                                      "-s", "536870912"}));
}

// A sysfs tree as Linux 6.12 lays it out for one committed pmem region.
struct FakeSysfs {
  TempDir dir{"pl-cxl"};
  fs::path cxl = dir / "cxl", nd = dir / "nd";
  FakeSysfs() {
    dir.write("cxl/region0/mode", "pmem\n");
    dir.write("cxl/region0/target0", "decoder2.0\n");
    dir.write("cxl/region0/commit", "1\n");
    dir.write("cxl/region0/resource", "0x1090000000\n");
    dir.write("cxl/region0/size", "1073741824\n");
    dir.write("cxl/region0/interleave_ways", "1\n");
    dir.write("cxl/decoder2.0/dpa_resource", "0x0\n");
    dir.write("cxl/mem0/trigger_poison_list", "");
    fs::create_directories(cxl / "devices" / "mem0");
    fs::create_directories(cxl / "endpoint2");
    fs::create_symlink(cxl / "devices" / "mem0", cxl / "endpoint2" / "uport");
    dir.write("nd/region1/resource", "0x100000000\n");
    dir.write("nd/region0/resource", "0x1090000000\n");
  }
};

TEST(CxlRegion, FoundFromSysfs) {
  FakeSysfs f;
  auto r = find_cxl_region(f.cxl, f.nd);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->region, "region0");
  EXPECT_EQ(r->endpoint_decoder, "decoder2.0");
  EXPECT_EQ(r->memdev, "mem0");
  EXPECT_EQ(r->nd_region, "region0");
  EXPECT_EQ(r->layout, (CxlRegionLayout{0x1090000000ull, 1ull << 30, 0, 1}));
  EXPECT_EQ(r->qemu_device, "cxl-pmem0");
  EXPECT_EQ(r->to_json()["hpa_start"], 0x1090000000ull);
}

TEST(CxlRegion, UncommittedOrRamRegionsAreNotUsed) {
  FakeSysfs f;
  f.dir.write("cxl/region0/commit", "0\n");
  EXPECT_FALSE(find_cxl_region(f.cxl, f.nd));
  f.dir.write("cxl/region0/commit", "1\n");
  f.dir.write("cxl/region0/mode", "ram\n");
  EXPECT_FALSE(find_cxl_region(f.cxl, f.nd));
}

TEST(CxlRegion, MissingNdRegionNamesTheAddress) {
  FakeSysfs f;
  f.dir.write("nd/region0/resource", "0x2000000000\n");
  try {
    find_cxl_region(f.cxl, f.nd);
    ADD_FAILURE() << "accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("0x1090000000"), std::string::npos) << e.what();
  }
}

TEST(CxlObserve, UnitDpasAndPoisonListTrigger) {
  FakeSysfs f;
  CxlRegion r = *find_cxl_region(f.cxl, f.nd);
  PoisonUnit in, out;
  in.phys = 0x1090204000ull;
  out.phys = 0x2000000000ull;
  auto dpas = unit_dpas(r, {in, out});
  EXPECT_EQ(dpas[0]["dpa"], 0x204000u);
  EXPECT_TRUE(dpas[1]["dpa"].is_null());
  auto read = read_poison_list(r, f.cxl);
  EXPECT_TRUE(read["ok"].get<bool>()) << read.dump();
  r.memdev = "mem9";
  read = read_poison_list(r, f.cxl);
  EXPECT_FALSE(read["ok"].get<bool>());
  EXPECT_NE(read["error"].get<std::string>().find("mem9/trigger_poison_list"), std::string::npos);
}

}  // namespace
}  // namespace poisonlab::agent
