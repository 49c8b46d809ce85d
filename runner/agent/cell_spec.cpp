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

CellSpec parse_cell_spec(const json& cell, const std::string& source) {
  Reader r(source);
  if (!cell.is_object()) r.fail("", "a CellSpec object");
  CellSpec s;
  const json& stack = r.object(cell, "stack", "", true);
  s.stack_type = r.string(stack, "type", "/stack", "", {"raw", "dm-linear"});
  if (s.stack_type == "dm-linear")
    s.dm_offset_sectors = r.number(stack, "offset_sectors", "/stack", 0, 0, 1ull << 40, true);

  const json& fs = r.object(cell, "filesystem", "", false);
  s.fs_type = r.string(fs, "type", "/filesystem", "xfs", {"xfs"});
  s.mkfs_options = r.strings(fs, "mkfs_options", "/filesystem", s.mkfs_options);
  s.mount_options = r.strings(fs, "mount_options", "/filesystem", s.mount_options);

  const json& ns = r.object(cell, "namespace", "", false);
  s.ns_mode = r.string(ns, "mode", "/namespace", s.ns_mode, {"fsdax"});
  s.ns_map = r.string(ns, "map", "/namespace", s.ns_map, {"mem", "dev"});
  s.ns_align = r.string(ns, "align", "/namespace", s.ns_align);

  s.file_pages = r.number(cell, "file_pages", "", s.file_pages, 1, 65536);
  const json& v = r.object(cell, "victims", "", false);
  s.early_kill = static_cast<int>(r.number(v, "early_kill", "/victims", 2, 0, 32));
  s.late_kill = static_cast<int>(r.number(v, "late_kill", "/victims", 1, 0, 32));
  s.neighbour = static_cast<int>(r.number(v, "neighbour", "/victims", 1, 0, 32));

  const json& inj = r.object(cell, "injection", "", true);
  s.method = r.string(inj, "method", "/injection", "", {"madvise", "hwpoison-pfn"});
  s.offset_pages = r.number(inj, "offset_pages", "/injection", 0, 0, 65535, true);
  s.pages = r.number(inj, "pages", "/injection", 1, 1, 4096, true);
  s.pacing = r.string(inj, "pacing", "/injection", "per-page", {"per-page", "burst"});
  s.settle_ms = r.number(inj, "settle_ms", "/injection", 1000, 0, 600000);
  if (s.offset_pages + s.pages > s.file_pages)
    r.fail("/injection", "offset_pages + pages <= file_pages (" + std::to_string(s.offset_pages) + " + " +
                             std::to_string(s.pages) + " > " + std::to_string(s.file_pages) + ")");

  s.trials = static_cast<int>(r.number(cell, "trials", "", 1, 1, 1000));
  s.trace = r.boolean(cell, "trace", "", true);
  s.reaccess = r.boolean(cell, "reaccess", "", true);
  return s;
}

}  // namespace poisonlab::agent
