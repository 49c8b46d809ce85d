#include "agent/cell_spec.h"

#include "common/error.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  const json& object(const json& parent, const std::string& key, const std::string& ptr, bool required) {
    static const json empty = json::object();
    if (!parent.contains(key)) {
      if (required) fail(ptr + "/" + key, "an object (required)");
      return empty;
    }
    const json& v = parent[key];
    if (!v.is_object()) fail(ptr + "/" + key, "an object");
    return v;
  }

  std::string string(const json& o, const std::string& key, const std::string& ptr, const std::string& dflt,
                     std::initializer_list<const char*> allowed = {}) {
    if (!o.contains(key)) return dflt;
    if (!o[key].is_string()) fail(ptr + "/" + key, "a string");
    std::string v = o[key].get<std::string>();
    if (allowed.size()) {
      std::string list;
      for (const char* a : allowed) {
        if (v == a) return v;
        list += (list.empty() ? "" : " | ") + std::string("\"") + a + "\"";
      }
      fail(ptr + "/" + key, "one of " + list + ", got \"" + v + "\"");
    }
    return v;
  }

  uint64_t number(const json& o, const std::string& key, const std::string& ptr, uint64_t dflt, uint64_t min,
                  uint64_t max, bool required = false) {
    if (!o.contains(key)) {
      if (required) fail(ptr + "/" + key, "a number (required)");
      return dflt;
    }
    const json& v = o[key];
    if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0))
      fail(ptr + "/" + key, "a non-negative integer");
    uint64_t n = v.get<uint64_t>();
    if (n < min || n > max)
      fail(ptr + "/" + key, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                std::to_string(n));
    return n;
  }

  bool boolean(const json& o, const std::string& key, const std::string& ptr, bool dflt) {
    if (!o.contains(key)) return dflt;
    if (!o[key].is_boolean()) fail(ptr + "/" + key, "true or false");
    return o[key].get<bool>();
  }

  std::vector<std::string> strings(const json& o, const std::string& key, const std::string& ptr,
                                   std::vector<std::string> dflt) {
    if (!o.contains(key)) return dflt;
    const json& v = o[key];
    if (!v.is_array()) fail(ptr + "/" + key, "an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) fail(ptr + "/" + key + "/" + std::to_string(i), "a string");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& ptr, const std::string& expected) {
    throw InputError(source_, ptr, expected);
  }

 private:
  std::string source_;
};

}  // namespace

namespace {

TargetSpec parse_target(Reader& r, const json& inj, const CellSpec& s) {
  const json& t = r.object(inj, "target", "/injection", true);
  const std::string at = "/injection/target";
  TargetSpec target;
  target.space = r.string(t, "space", at, "", {"file", "device", "physical", "metadata", "free", "namespace"});
  if (target.space == "file") {
    target.straddle = r.string(t, "straddle", at, "", {"", "extent-boundary", "stripe-chunk", "concat-seam"});
    if (target.straddle.empty()) target.offset_pages = r.number(t, "offset_pages", at, 0, 0, 65535, true);
    if (target.straddle == "stripe-chunk" && s.stack_type != "dm-stripe") r.fail(at + "/straddle", "a dm-stripe stack");
    if (target.straddle == "concat-seam" && s.stack_type != "dm-concat") r.fail(at + "/straddle", "a dm-concat stack");
  } else if (target.space == "device") {
    target.sector = r.number(t, "sector", at, 0, 0, 1ull << 40, true);
    if (target.sector % 8) r.fail(at + "/sector", "a multiple of 8 (a 4 KiB page)");
  } else if (target.space == "physical") {
    target.address = r.number(t, "address", at, 0, 0, 1ull << 52, true);
    if (target.address % 4096) r.fail(at + "/address", "a multiple of 4096");
  } else if (target.space == "metadata") {
    target.structure = r.string(t, "structure", at, "", {"ag-header", "inode-chunk", "btree-block"});
    target.ag = static_cast<uint32_t>(r.number(t, "ag", at, 0, 0, 1024));
    if (s.fs_type != "xfs") r.fail(at, "an XFS file system for a metadata target");
  }
  return target;
}

void check_method_fits_target(Reader& r, const CellSpec& s) {
  bool unbind = s.method == "unbind";
  if (unbind != (s.target.space == "namespace"))
    r.fail("/injection/target/space", unbind ? "\"namespace\" for unbind" : "not \"namespace\" (unbind only)");
  if (s.method == "madvise" && !s.file_target())
    r.fail("/injection/target/space", "\"file\" for madvise (it poisons through a mapping)");
  if (s.mce_mode == "ar" && !s.file_target())
    r.fail("/injection/target/space", "\"file\" for an action-required machine check (a consumer maps the page)");
  if (s.files > 1 && s.file_target() &&
      (!s.target.straddle.empty() || s.method == "madvise" || s.mce_mode == "ar" || s.pages % s.files != 0))
    r.fail("/files", "1 victim file for a straddle, madvise or an action-required check, and files dividing pages");
  if (s.file_target() && s.target.straddle.empty() && s.target.offset_pages + s.pages_per_file() > s.file_pages)
    r.fail("/injection", "offset_pages + pages <= file_pages, with pages / files in each file (" +
                             std::to_string(s.target.offset_pages) + " + " + std::to_string(s.pages_per_file()) +
                             " > " + std::to_string(s.file_pages) + ")");
  if (s.file_target() && !s.target.straddle.empty() && s.pages + 2 > s.file_pages)
    r.fail("/injection/pages", "at most file_pages - 2 when straddling a boundary");
}

}  // namespace

CellSpec parse_cell_spec(const json& cell, const std::string& source) {
  Reader r(source);
  if (!cell.is_object()) r.fail("", "a CellSpec object");
  CellSpec s;
  const json& stack = r.object(cell, "stack", "", true);
  s.stack_type = r.string(stack, "type", "/stack", "", {"raw", "dm-linear", "dm-concat", "dm-stripe"});
  if (s.stack_type == "dm-linear")
    s.dm_offset_sectors = r.number(stack, "offset_sectors", "/stack", 0, 0, 1ull << 40, true);
  if (s.stack_type == "dm-stripe") {
    s.chunk_sectors = r.number(stack, "chunk_sectors", "/stack", 128, 8, 1u << 21, true);
    if (s.chunk_sectors % 8) r.fail("/stack/chunk_sectors", "a multiple of 8 (4 KiB)");
  }

  const json& fs = r.object(cell, "filesystem", "", false);
  s.fs_type = r.string(fs, "type", "/filesystem", "xfs", {"xfs", "ext4"});
  s.mkfs_options = r.strings(fs, "mkfs_options", "/filesystem",
                             s.fs_type == "xfs" ? s.mkfs_options : std::vector<std::string>{"-b", "4096"});
  s.mount_options = r.strings(fs, "mount_options", "/filesystem", s.fs_type == "xfs" ? s.mount_options : std::vector<std::string>{"dax"});

  // CXL (issue 5): the pmem comes from a CXL region, which is one disk.
  s.pmem = r.string(cell, "pmem", "", s.pmem, {"nvdimm", "cxl"});
  if (s.pmem == "cxl" && s.disks_needed() > 1) r.fail("/stack/type", "raw or dm-linear on a CXL region (one disk)");

  const json& ns = r.object(cell, "namespace", "", false);
  s.ns_mode = r.string(ns, "mode", "/namespace", s.ns_mode, {"fsdax"});
  s.ns_map = r.string(ns, "map", "/namespace", s.ns_map, {"mem", "dev"});
  s.ns_align = r.string(ns, "align", "/namespace", s.ns_align);

  s.file_pages = r.number(cell, "file_pages", "", s.file_pages, 2, 524288);
  s.files = r.number(cell, "files", "", 1, 1, 256);
  s.sharers = static_cast<int>(r.number(cell, "sharers", "", 0, 0, 8));
  const json& v = r.object(cell, "victims", "", false);
  s.early_kill = static_cast<int>(r.number(v, "early_kill", "/victims", 2, 0, 1000));
  s.late_kill = static_cast<int>(r.number(v, "late_kill", "/victims", 1, 0, 32));
  s.neighbour = static_cast<int>(r.number(v, "neighbour", "/victims", 1, 0, 32));

  const json& inj = r.object(cell, "injection", "", true);
  s.method = r.string(inj, "method", "/injection", "",
                      {"madvise", "hwpoison-pfn", "hard-offline", "mce", "badblocks", "unbind", "cxl-qmp-poison",
                       "cxl-debugfs-poison", "ndctl-inject-error", "einj"});
  s.pages = r.number(inj, "pages", "/injection", 1, 1, 262144, s.method != "unbind");
  s.pacing = r.string(inj, "pacing", "/injection", "per-page", {"per-page", "burst", "rate"});
  if (s.pacing == "rate") s.rate_per_s = r.number(inj, "rate_per_s", "/injection", 0, 1, 1000000, true);
  s.settle_ms = r.number(inj, "settle_ms", "/injection", 1000, 0, 600000);
  if (s.method == "mce") s.mce_mode = r.string(inj, "mce_mode", "/injection", "ao", {"ao", "ar"});
  if (s.cxl_poison_method() && s.pmem != "cxl") r.fail("/injection/method", "pmem \"cxl\" for " + s.method);
  s.target = parse_target(r, inj, s);
  check_method_fits_target(r, s);

  s.trials = static_cast<int>(r.number(cell, "trials", "", 1, 1, 1000));
  s.trace = r.boolean(cell, "trace", "", true);
  s.reaccess = r.boolean(cell, "reaccess", "", true);
  s.fsck = r.boolean(cell, "fsck", "", true);
  s.soft_offline = r.boolean(cell, "soft_offline", "", true);
  s.probe_benchmark = r.boolean(cell, "probe_benchmark", "", false);
  const json& perf = r.object(cell, "perf", "", false);
  s.perf.stat = r.boolean(perf, "stat", "/perf", false);
  s.perf.record = r.boolean(perf, "record", "/perf", false);
  s.perf.record_min_pages = r.number(perf, "record_min_pages", "/perf", 64, 1, 262144);
  s.perf.record_min_early_kill = r.number(perf, "record_min_early_kill", "/perf", 0, 0, 1000);
  s.perf.frequency = r.number(perf, "frequency", "/perf", 999, 1, 10000);
  if (cell.contains("fio")) s.fio = parse_fio_spec(cell["fio"], source);
  return s;
}

}  // namespace poisonlab::agent
