#include "agent/stack.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab::agent {
namespace {

TEST(Stack, SuperOptionsOfMount) {
  const std::string mountinfo =
      "22 1 0:21 / / ro,relatime - 9p hostroot ro,access=client,trans=virtio\n"
      "40 22 0:35 / /tmp rw,relatime - tmpfs tmp rw\n"
      "51 40 259:0 / /tmp/poisonlab/mnt rw,relatime - xfs /dev/pmem0 "
      "rw,attr2,dax=always,inode64,logbufs=8,logbsize=32k,noquota\n";
  EXPECT_EQ(super_options_of(mountinfo, "/tmp/poisonlab/mnt").value_or(""),
            "rw,attr2,dax=always,inode64,logbufs=8,logbsize=32k,noquota");
  EXPECT_EQ(super_options_of(mountinfo, "/tmp").value_or(""), "rw");
  EXPECT_FALSE(super_options_of(mountinfo, "/mnt").has_value());
}

TEST(Stack, SuperOptionsWithOptionalFields) {
  // Optional fields ("shared:1") sit between the mount options and "-".
  const std::string mountinfo = "51 40 253:0 / /m rw shared:1 master:2 - xfs /dev/mapper/poisonlab0 rw,dax=always\n";
  EXPECT_EQ(super_options_of(mountinfo, "/m").value_or(""), "rw,dax=always");
}

TEST(Stack, LayoutFromNamespaceInfo) {
  NamespaceInfo ns;
  ns.region_resource = 0x100000000;
  ns.ns_resource = 0x100000000;
  ns.pfn_resource = 0x100200000;
  EXPECT_EQ(ns.layout().data_offset(), 0x200000u);
  EXPECT_EQ(ns.to_json()["data_offset"], 0x200000u);
  ns.pfn_resource.reset();  // raw mode: the disk starts at the namespace
  EXPECT_EQ(ns.layout().data_start, 0x100000000u);
}

std::vector<address::PmemDisk> two_disks() {
  return {{"pmem0", "259:0", 500ull << 20, {}}, {"pmem1", "259:1", 498ull << 20, {}}};
}

TEST(Stack, DmTablesForEachStackType) {
  CellSpec spec;
  spec.stack_type = "dm-linear";
  spec.dm_offset_sectors = 32768;
  EXPECT_EQ(dm_table_for(spec, two_disks()), "0 991232 linear 259:0 32768\n");
  spec.stack_type = "dm-concat";
  EXPECT_EQ(dm_table_for(spec, two_disks()), "0 1024000 linear 259:0 0\n1024000 1019904 linear 259:1 0\n");
  spec.stack_type = "dm-stripe";
  spec.chunk_sectors = 128;
  // Each leg gets the smaller disk's size, in whole chunks.
  EXPECT_EQ(dm_table_for(spec, two_disks()), "0 2039808 striped 2 128 259:0 0 259:1 0\n");
  // The tables parse back into the address model.
  for (const char* type : {"dm-linear", "dm-concat", "dm-stripe"}) {
    spec.stack_type = type;
    EXPECT_NO_THROW(address::StackMap(two_disks(), address::DmTable::parse(dm_table_for(spec, two_disks())))) << type;
  }
}

TEST(Stack, DmTableErrorsNameTheProblem) {
  CellSpec spec;
  spec.stack_type = "dm-stripe";
  EXPECT_THROW(dm_table_for(spec, {two_disks()[0]}), UserError);
  spec.stack_type = "dm-linear";
  spec.dm_offset_sectors = 500ull << 11;
  EXPECT_THROW(dm_table_for(spec, two_disks()), UserError);
}

}  // namespace
}  // namespace poisonlab::agent
