#pragma once
// fsdax namespaces on the NVDIMM regions: (re)created with ndctl for each
// cell, described with their physical layout.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/stack_map.h"
#include "agent/cell_spec.h"

namespace poisonlab::agent {

struct NamespaceInfo {
  std::string region_dev;  // "region0"
  uint64_t region_resource = 0;
  uint64_t region_size = 0;
  std::string ns_dev;  // "namespace0.0"
  uint64_t ns_resource = 0;
  std::string mode;                    // "fsdax"
  std::optional<std::string> pfn_dev;  // "pfn0.0"
  std::optional<uint64_t> pfn_resource;
  std::string blockdev;      // "pmem0"
  std::string block_majmin;  // "259:0"
  uint64_t blockdev_bytes = 0;
  uint64_t align = 0;
  address::PmemLayout layout() const;
  address::PmemDisk disk() const;
  nlohmann::json to_json() const;
};

// The regions that hold a namespace<N>.0, in region order.
std::vector<std::string> nvdimm_regions();

// `ndctl create-namespace -f -e namespace<N>.0` with the spec's mode, map
// and alignment on region "region<N>"; with new_when_seed_empty and a
// seed namespace of size 0 (a labelled CXL region), `-r region<N>` instead.
// Throws UserError on failure.
NamespaceInfo create_namespace(const std::string& region, const CellSpec& spec, bool new_when_seed_empty = false);

// The region's badblocks ("sector count" lines, relative to the region),
// which outlive the namespace: media errors the NFIT notifier recorded.
std::vector<std::string> region_badblocks(const std::string& region);

}  // namespace poisonlab::agent
