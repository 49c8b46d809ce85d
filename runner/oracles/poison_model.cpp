#include "oracles/poison_model.h"

#include <fmt/format.h>

#include "address/stack_map.h"
#include "common/error.h"
#include "oracles/media_errors.h"

namespace poisonlab::oracles {

using nlohmann::json;

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// HMP's mce prints nothing when it injects; any text is a refusal
// ("Guest CPU does not support MCA broadcast").
std::optional<std::string> host_refusal(const json& reply) {
  if (!reply.is_object()) return std::nullopt;
  if (!reply.value("ok", false)) return "the runner could not inject: " + reply.value("error", std::string("?"));
  std::string said =
      reply.contains("output") && reply["output"].is_string() ? trimmed(reply["output"].get<std::string>()) : "";
  if (!said.empty()) return "the monitor refused: " + said;
  return std::nullopt;
}

address::StackMap stack_map_of(const json& stack) {
  try {
    return address::StackMap::from_json(stack);
  } catch (const std::exception& e) {
    throw InputError("observation", "/stack", std::string("a stack with disks and a dm table: ") + e.what());
  }
}

std::vector<address::FileMap> file_maps(const TrialRecord& t) {
  std::vector<address::FileMap> maps;
  for (const FileRecord& f : t.files) maps.push_back({f.id, f.extents});
  return maps;
}

// The pfn the kernel actually poisoned: madvise picks the page through the
// injector's mapping, so what the mappings showed comes first there.
std::pair<uint64_t, std::string> injected_pfn(const UnitRecord& u, const std::string& method) {
  if (method == kMethodMadvise) {
    if (u.pfn_pagemap) return {*u.pfn_pagemap, "pfn_pagemap"};
    if (u.pfn_kernel) return {*u.pfn_kernel, "pfn_kernel"};
  }
  return {u.pfn_computed, "pfn_computed"};
}

ModelUnit model_unit(const UnitRecord& u, const std::string& method, const address::StackMap& map,
                     const std::vector<address::FileMap>& files, const TrialRecord& t) {
  ModelUnit m;
  m.unit = &u;
  std::tie(m.pfn, m.pfn_source) = injected_pfn(u, method);
  uint64_t phys = m.pfn * kPageBytes;
  if (auto piece = map.disk_of_phys(phys)) {
    m.disk = map.disks()[piece->disk].name;
    m.disk_offset = piece->offset;
    m.fs_offset = map.fs_offset_of_phys(phys);
  }
  if (m.fs_offset)
    for (const auto& owner : address::owners_of(files, *m.fs_offset))
      m.owners.push_back({owner.file, owner.offset / kPageBytes});
  // Media errors are looked up where the page lies; without a disk, where the agent said.
  std::string disk = m.disk.value_or(u.disk);
  uint64_t offset = m.disk_offset.value_or(u.disk_offset);
  m.media_errors = bad_ranges_over(t.badblocks_after, disk, offset / kSectorBytes, kPageBytes / kSectorBytes);
  return m;
}

void mark_injected(const TrialRecord& t, std::vector<ModelUnit>& units) {
  for (ModelUnit& u : units)
    u.not_injected = t.injection ? "no injection step covers it" : "the trial was not injected";
  if (!t.injection) return;
  for (const StepRecord& s : t.injection->steps) {
    StepOutcome outcome = judge_step(s);
    for (uint64_t i = s.first_unit; i < s.first_unit + s.units && i < units.size(); ++i) {
      units[i].injected = outcome.reached_kernel;
      units[i].not_injected = outcome.reached_kernel ? "" : outcome.problem;
    }
  }
}

json opt(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

StepOutcome judge_step(const StepRecord& step) {
  StepOutcome out;
  auto refusal = host_refusal(step.host_reply);
  if (step.hung)
    out.problem = step.error.value_or("the step did not return");
  else if (refusal)
    out.problem = *refusal;
  else if (step.error)
    out.problem = *step.error;
  else if (step.ret != 0)
    out.problem = fmt::format("returned {} (errno {})", step.ret, step.err);
  out.ok = out.problem.empty();
  out.reached_kernel = out.ok || step.hung || (!refusal && !step.kernel_log.empty());
  return out;
}

json ModelUnit::to_json() const {
  json owners_json = json::array();
  for (const FilePage& o : owners) owners_json.push_back({{"file", o.file}, {"page", o.page}});
  return {{"unit", unit ? json(unit->index) : json(nullptr)},
          {"injected", injected},
          {"not_injected", injected ? json(nullptr) : json(not_injected)},
          {"pfn", fmt::format("{:#x}", pfn)},
          {"pfn_source", pfn_source},
          {"disk", disk ? json(*disk) : json(nullptr)},
          {"disk_offset", opt(disk_offset)},
          {"fs_offset", opt(fs_offset)},
          {"backs", owners_json},
          {"media_errors", media_errors}};
}

size_t TrialModel::injected_units() const {
  size_t n = 0;
  for (const ModelUnit& u : units) n += u.injected;
  return n;
}

std::vector<const ModelUnit*> TrialModel::units_backing(const std::string& file, uint64_t page) const {
  std::vector<const ModelUnit*> out;
  for (const ModelUnit& u : units) {
    if (!u.injected) continue;
    for (const FilePage& o : u.owners)
      if (o.file == file && o.page == page) {
        out.push_back(&u);
        break;
      }
  }
  return out;
}

std::set<FilePage> TrialModel::poisoned_pages() const {
  std::set<FilePage> out;
  for (const ModelUnit& u : units)
    if (u.injected) out.insert(u.owners.begin(), u.owners.end());
  return out;
}

std::string method_of(const json& cell_spec, const TrialRecord& trial) {
  if (trial.injection && !trial.injection->method.empty()) return trial.injection->method;
  json::json_pointer ptr("/injection/method");
  if (cell_spec.is_object() && cell_spec.contains(ptr) && cell_spec.at(ptr).is_string())
    return cell_spec.at(ptr).get<std::string>();
  return "";
}

TrialModel build_trial_model(const json& cell_spec, const ObservationRecord& obs, size_t trial_position) {
  const TrialRecord& t = obs.trials.at(trial_position);
  TrialModel model;
  model.method = method_of(cell_spec, t);
  model.whole_device = model.method == kMethodUnbind || t.target_space() == "namespace";
  if (t.units.empty()) return model;
  address::StackMap map = stack_map_of(obs.stack_of(trial_position));
  auto files = file_maps(t);
  for (const UnitRecord& u : t.units) model.units.push_back(model_unit(u, model.method, map, files, t));
  mark_injected(t, model.units);
  return model;
}

}  // namespace poisonlab::oracles
