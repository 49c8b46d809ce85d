#pragma once
// CXL-backed pmem (issue 5): a pmem region on the VM's CXL type-3 device
// (`cxl create-region`), the fsdax namespace in the nvdimm region the
// kernel makes of it, and the arithmetic from a host physical address (HPA)
// to the device physical address (DPA) that CXL poison injection takes.
//
// sysfs read here (Linux 6.12):
//   /sys/bus/cxl/devices/regionN/{resource,size,mode,interleave_ways,target0}
//   /sys/bus/cxl/devices/decoderE.D/{dpa_resource,dpa_size}  (the endpoint decoder, target0)
//   /sys/bus/cxl/devices/endpointE/uport -> .../memM         (the memdev)
//   /sys/bus/nd/devices/regionK/resource                      (== the CXL region's HPA start)
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "agent/namespaces.h"

namespace poisonlab::agent {

// The QEMU id of the type-3 device (runner/target/qemu/qemu_command.h,
// kCxlType3Id): the runner's cxl-inject-poison request takes it.
inline constexpr const char* kCxlQemuDevice = "cxl-pmem0";

// Where a 1-way interleaved region lies in host and device address space.
struct CxlRegionLayout {
  uint64_t hpa_start = 0;  // the region's resource
  uint64_t size = 0;
  uint64_t dpa_start = 0;  // the endpoint decoder's dpa_resource
  uint64_t interleave_ways = 1;
  bool operator==(const CxlRegionLayout&) const = default;
};

// DPA of a host physical address inside the region; nullopt outside it or
// for an interleaved region (more than one way: not modelled).
std::optional<uint64_t> hpa_to_dpa(const CxlRegionLayout& layout, uint64_t hpa);

struct CxlRegion {
  std::string region;            // "region0" on the cxl bus
  std::string memdev;            // "mem0"
  std::string endpoint_decoder;  // "decoder2.0"
  std::string nd_region;         // "region0" on the nd bus: the pmem region of the namespace
  CxlRegionLayout layout;
  std::string qemu_device = kCxlQemuDevice;
  nlohmann::json to_json() const;
};

// The committed pmem region under cxl_root (/sys/bus/cxl/devices) and its nd
// region under nd_root (/sys/bus/nd/devices); nullopt when there is no
// region. Throws UserError when a region is there but cannot be read.
std::optional<CxlRegion> find_cxl_region(const std::filesystem::path& cxl_root, const std::filesystem::path& nd_root);

// `cxl create-region -m -d decoder0.0 -w 1 -t pmem mem0 -s SIZE` argv.
std::vector<std::string> create_region_argv(const std::string& root_decoder, const std::string& memdev,
                                            uint64_t size_bytes);

// The region a cell's CXL stack sits on: found, else created (once per
// boot; later cells reuse it). record gets how: {"created", "argv",
// "output", "duration_ns"}. Throws UserError when there is none.
CxlRegion ensure_cxl_region(nlohmann::json& record);

// The fsdax namespace on the region's nd region: spec.ns_align first (2M);
// if ndctl refuses it, 4K. record gets {"align_tried": [...],
// "align_used", "refusals": [...]}. Throws UserError when both fail.
NamespaceInfo create_cxl_namespace(const CxlRegion& region, const CellSpec& spec, nlohmann::json& record);

}  // namespace poisonlab::agent
