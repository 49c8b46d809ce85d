#include "plan/plan.h"

#include <algorithm>

#include <fmt/format.h>

namespace poisonlab {
using nlohmann::json;

namespace {

// Sectors of 512 bytes, as dm tables count.
constexpr long long kSectorsPerMib = 2048;
constexpr long long kSectorsPerKib = 2;

// The item's label (its name, else fallback_of), or label-<index> if an
// earlier item already used it.
template <typename T, typename LabelOf>
std::string unique_label(const std::vector<T>& items, size_t index, LabelOf label_of) {
  std::string label = label_of(items[index]);
  for (size_t i = 0; i < index; ++i)
    if (label_of(items[i]) == label) return label + "-" + std::to_string(index);
  return label;
}

std::string stack_label(const StackSpec& s) { return s.name.empty() ? s.type : s.name; }
std::string fs_label(const FilesystemSpec& f) { return f.name.empty() ? f.type : f.name; }
std::string injection_label(const InjectionSpec& i) { return i.name.empty() ? i.method : i.name; }

json stack_json(const StackSpec& stack) {
  if (stack.type == "dm-linear")
    return {{"type", "dm-linear"}, {"offset_sectors", static_cast<long long>(stack.offset_mib) * kSectorsPerMib}};
  if (stack.type == "dm-stripe")
    return {{"type", "dm-stripe"}, {"chunk_sectors", static_cast<long long>(stack.chunk_kib) * kSectorsPerKib}};
  return {{"type", stack.type}};
}

}  // namespace

std::optional<std::string> not_applicable(const StackSpec& stack, const FilesystemSpec& fs, const InjectionSpec& inj) {
  const TargetSpec& t = inj.target;
  if (t.straddle == "stripe-chunk" && stack.type != "dm-stripe")
    return fmt::format("a stripe-chunk boundary needs a dm-stripe stack, not {}", stack.type);
  if (t.straddle == "concat-seam" && stack.type != "dm-concat")
    return fmt::format("a concatenation seam needs a dm-concat stack, not {}", stack.type);
  if (t.space == "metadata" && fs.type != "xfs")
    return fmt::format("metadata targets are XFS structures (xfs_db); the file system is {}", fs.type);
  return std::nullopt;
}

json cell_spec(const Scenario& s, const StackSpec& stack, const FilesystemSpec& fs, const InjectionSpec& injection) {
  json inj = {{"method", injection.method},
              {"target", target_to_json(injection.target)},
              {"pages", injection.pages},
              {"pacing", injection.pacing},
              {"settle_ms", injection.settle_ms}};
  if (injection.pacing == "rate") inj["rate_per_s"] = injection.rate_per_s;
  if (injection.method == "mce") inj["mce_mode"] = injection.mce_mode;
  json spec = {
      {"stack", stack_json(stack)},
      {"filesystem", {{"type", fs.type}, {"mkfs_options", fs.mkfs_options}, {"mount_options", fs.mount_options}}},
      {"namespace", {{"mode", "fsdax"}, {"map", "mem"}, {"align", "2M"}}},
      {"file_pages", s.file_pages},
      {"files", s.file_count},
      {"sharers", fs.sharers},
      {"victims",
       {{"early_kill", s.victims.early_kill}, {"late_kill", s.victims.late_kill}, {"neighbour", s.victims.neighbour}}},
      {"injection", inj},
      {"trials", s.trials},
      {"trace", s.trace},
      {"reaccess", s.reaccess},
      {"fsck", s.checks.fsck},
      {"soft_offline", s.checks.soft_offline},
      {"probe_benchmark", s.checks.probe_benchmark},
  };
  if (s.perf) spec["perf"] = perf_to_json(*s.perf);
  if (s.fio) spec["fio"] = fio_to_json(*s.fio);
  if (s.topology.is_cxl()) spec["pmem"] = "cxl";  // CXL (issue 5): the agent makes a CXL pmem region first
  return spec;
}

namespace {

// One point of a sweep: the injection and victims of that value, and the
// label suffix that names it ("@pages=16").
struct SweepPoint {
  InjectionSpec injection;
  VictimCounts victims;
  int file_count = 1;
  bool trace = true;
  std::string suffix;
  json sweep;  // {"parameter", "value"} for the CellSpec, or null
};

std::vector<SweepPoint> sweep_points(const Scenario& s, const InjectionSpec& inj) {
  if (!s.sweep) return {{inj, s.victims, s.file_count, s.trace, "", nullptr}};
  std::vector<SweepPoint> points;
  for (int value : s.sweep->values) {
    SweepPoint p{inj, s.victims, s.file_count, s.trace, fmt::format("@{}={}", s.sweep->parameter, value),
                 {{"parameter", s.sweep->parameter}, {"value", value}}};
    if (s.sweep->parameter == "pages") p.injection.pages = value;
    if (s.sweep->parameter == "early_kill") p.victims.early_kill = value;
    if (s.sweep->parameter == "files") p.file_count = value;
    if (s.sweep->parameter == "trace") p.trace = value != 0;
    points.push_back(std::move(p));
  }
  return points;
}

}  // namespace

Plan plan_cells(const Scenario& s) {
  Plan plan;
  for (const auto& kernel : s.kernels)
    for (size_t si = 0; si < s.stacks.size(); ++si)
      for (size_t fi = 0; fi < s.filesystems.size(); ++fi)
        for (size_t ii = 0; ii < s.injections.size(); ++ii) {
          const auto& stack = s.stacks[si];
          const auto& fs = s.filesystems[fi];
          std::string stack_name = unique_label(s.stacks, si, stack_label);
          std::string fs_name = unique_label(s.filesystems, fi, fs_label);
          std::string series = fmt::format("{}/{}/{}/{}", kernel, stack_name, fs_name,
                                           unique_label(s.injections, ii, injection_label));
          for (const SweepPoint& point : sweep_points(s, s.injections[ii])) {
            const InjectionSpec& inj = point.injection;
            std::string id = series + point.suffix;
            if (auto why = not_applicable(stack, fs, inj)) {
              plan.not_applicable.push_back({id, *why});
              continue;
            }
            Scenario at_point = s;
            at_point.victims = point.victims;
            at_point.file_count = point.file_count;
            at_point.trace = point.trace;
            json spec = cell_spec(at_point, stack, fs, inj);
            if (!point.sweep.is_null()) {
              spec["sweep"] = point.sweep;
              spec["sweep"]["series"] = series;  // the cells of one series differ only in the value
            }
            plan.cells.push_back(
                Cell{id, kernel, stack_name, stack.type, fs_name, inj.method, inj.target.space, spec, inj.runner_fault});
          }
        }
  return plan;
}

}  // namespace poisonlab
