#include "agent/cxl_region.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>

#include "agent/clock.h"
#include "agent/sysfs.h"
#include "common/error.h"
#include "common/process.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kCxlDevices = "/sys/bus/cxl/devices";
const fs::path kNdDevices = "/sys/bus/nd/devices";
constexpr const char* kRootDecoder = "decoder0.0";

// Entries of dir named prefix<digits>..., sorted by number (region10 after region9).
std::vector<std::string> numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() && std::isdigit(static_cast<unsigned char>(name[prefix.size()])))
      out.push_back(name);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return out;
}

// The memdev behind an endpoint decoder: decoderE.D is a child of endpointE,
// whose uport links to memM; with a single memdev, that one.
std::string memdev_of(const fs::path& cxl_root, const std::string& decoder) {
  std::string endpoint = "endpoint" + decoder.substr(7, decoder.find('.') - 7);
  std::error_code ec;
  fs::path uport = fs::canonical(cxl_root / endpoint / "uport", ec);
  if (!ec && uport.filename().string().rfind("mem", 0) == 0) return uport.filename().string();
  auto mems = numbered(cxl_root, "mem");
  if (mems.size() == 1) return mems.front();
  throw UserError(fmt::format("cannot tell the memdev of {}: no {}/uport and {} memdevs", decoder,
                              (cxl_root / endpoint).string(), mems.size()));
}

std::string nd_region_at(const fs::path& nd_root, uint64_t hpa) {
  for (const auto& r : numbered(nd_root, "region")) {
    auto res = read_attr(nd_root / r / "resource");
    try {
      if (res && parse_u64(*res) == hpa) return r;
    } catch (const std::exception&) {
    }
  }
  throw UserError(fmt::format("no nd region under {} starts at the CXL region's address {:#x}", nd_root.string(), hpa));
}

}  // namespace

std::optional<uint64_t> hpa_to_dpa(const CxlRegionLayout& l, uint64_t hpa) {
  if (l.interleave_ways != 1 || hpa < l.hpa_start || hpa - l.hpa_start >= l.size) return std::nullopt;
  return l.dpa_start + (hpa - l.hpa_start);
}

json CxlRegion::to_json() const {
  return {{"region", region},
          {"memdev", memdev},
          {"endpoint_decoder", endpoint_decoder},
          {"nd_region", nd_region},
          {"hpa_start", layout.hpa_start},
          {"size", layout.size},
          {"dpa_start", layout.dpa_start},
          {"interleave_ways", layout.interleave_ways},
          {"qemu_device", qemu_device}};
}

std::optional<CxlRegion> find_cxl_region(const fs::path& cxl_root, const fs::path& nd_root) {
  for (const auto& name : numbered(cxl_root, "region")) {
    fs::path dir = cxl_root / name;
    if (read_attr(dir / "mode").value_or("") != "pmem") continue;
    auto target = read_attr(dir / "target0");
    if (!target || target->empty() || read_attr(dir / "commit").value_or("0") != "1") continue;  // not committed
    CxlRegion r;
    r.region = name;
    r.endpoint_decoder = *target;
    r.layout.hpa_start = read_u64_attr(dir / "resource");
    r.layout.size = read_u64_attr(dir / "size");
    r.layout.interleave_ways = read_u64_attr(dir / "interleave_ways");
    r.layout.dpa_start = read_u64_attr(cxl_root / r.endpoint_decoder / "dpa_resource");
    r.memdev = memdev_of(cxl_root, r.endpoint_decoder);
    r.nd_region = nd_region_at(nd_root, r.layout.hpa_start);
    return r;
  }
  return std::nullopt;
}

std::vector<std::string> create_region_argv(const std::string& root_decoder, const std::string& memdev,
                                            uint64_t size_bytes) {
  return {"cxl", "create-region", "-m", "-d", root_decoder, "-w", "1", "-t", "pmem", memdev, "-s",
          std::to_string(size_bytes)};
}

CxlRegion ensure_cxl_region(json& record) {
  if (auto found = find_cxl_region(kCxlDevices, kNdDevices)) {
    record = {{"created", false}};
    return *found;
  }
  require_program("cxl", "ndctl");
  auto mems = numbered(kCxlDevices, "mem");
  if (mems.empty()) throw UserError("no CXL memdev under " + kCxlDevices.string() + " (is the cxl driver stack built in?)");
  // The whole persistent capacity (the partition the device reports).
  uint64_t size = read_u64_attr(kCxlDevices / mems.front() / "pmem" / "size");
  auto argv = create_region_argv(kRootDecoder, mems.front(), size);
  uint64_t t0 = monotonic_ns();
  auto r = run_command(argv, {.timeout = std::chrono::minutes(2), .merge_stderr = true});
  record = {{"created", true}, {"argv", argv}, {"exit_code", r.exit_code}, {"output", r.out},
            {"duration_ns", monotonic_ns() - t0}};
  if (!r.ok()) throw UserError("cxl create-region failed (exit " + std::to_string(r.exit_code) + "): " + r.out);
  // The nd region appears once cxl_pmem has probed the new region.
  for (int i = 0; i < 50; ++i) {
    try {
      if (auto found = find_cxl_region(kCxlDevices, kNdDevices)) return *found;
    } catch (const UserError&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (auto found = find_cxl_region(kCxlDevices, kNdDevices)) return *found;
  throw UserError("cxl create-region succeeded but no committed pmem region is in " + kCxlDevices.string() + ": " + r.out);
}

NamespaceInfo create_cxl_namespace(const CxlRegion& region, const CellSpec& spec, json& record) {
  std::vector<std::string> aligns{spec.ns_align};
  if (spec.ns_align != "4K") aligns.push_back("4K");
  record = {{"align_tried", json::array()}, {"refusals", json::array()}, {"align_used", nullptr}};
  for (const auto& align : aligns) {
    CellSpec s = spec;
    s.ns_align = align;
    record["align_tried"].push_back(align);
    try {
      NamespaceInfo info = create_namespace(region.nd_region, s, /*new_when_seed_empty=*/true);
      record["align_used"] = align;
      return info;
    } catch (const UserError& e) {
      record["refusals"].push_back({{"align", align}, {"error", e.what()}});
    }
  }
  throw UserError("ndctl create-namespace on " + region.nd_region + " refused every alignment: " +
                  record["refusals"].dump());
}

}  // namespace poisonlab::agent
