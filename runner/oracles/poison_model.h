#pragma once
// THE EXPECTED-VICTIM MODEL: which file pages a trial actually poisoned,
// recomputed from the observation's stack, files and units (never from the
// agent's own expectations). Per unit: the physical page that was injected
// (pfn_computed; for madvise, where the kernel chose the page, pfn_pagemap
// then pfn_kernel first), mapped back with the stack (disk_of_phys ->
// fs_offset_of_phys) to the file system's device and from there with the
// trial's extents to every (file, file page) it backs (several with
// reflink), plus the media errors recorded over it.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "oracles/observation_model.h"

namespace poisonlab::oracles {

inline constexpr std::string_view kMethodMadvise = "madvise";
inline constexpr std::string_view kMethodBadblocks = "badblocks";
inline constexpr std::string_view kMethodUnbind = "unbind";
inline constexpr std::string_view kMethodNdctlInjectError = "ndctl-inject-error";
inline constexpr std::string_view kMethodMce = "mce";

// How one injection step went, from its record alone.
struct StepOutcome {
  bool ok = false;              // ret 0, no error, not hung, not refused
  bool reached_kernel = false;  // ok, hung, or the kernel logged something during it
  std::string problem;          // why not ok ("" when ok)
};
StepOutcome judge_step(const StepRecord& step);

struct FilePage {
  std::string file;
  uint64_t page = 0;
  auto operator<=>(const FilePage&) const = default;
};

struct ModelUnit {
  const UnitRecord* unit = nullptr;
  bool injected = false;            // its step reached the kernel
  std::string not_injected;         // why not, when !injected
  uint64_t pfn = 0;                 // the physical page taken as poisoned
  std::string pfn_source;           // "pfn_computed" | "pfn_pagemap" | "pfn_kernel"
  std::optional<std::string> disk;  // from the stack: the pmem disk holding pfn
  std::optional<uint64_t> disk_offset;
  std::optional<uint64_t> fs_offset;      // nullopt: the file system's device does not map it
  std::vector<FilePage> owners;           // every file page whose data lies there
  std::vector<std::string> media_errors;  // trial.badblocks.after lines over its 8 sectors
  bool media_error() const { return !media_errors.empty(); }
  nlohmann::json to_json() const;
};

struct TrialModel {
  std::string method;
  bool whole_device = false;  // unbind: the namespace goes away, no page units
  std::vector<ModelUnit> units;

  size_t injected_units() const;
  // Injected units whose data is (file, page).
  std::vector<const ModelUnit*> units_backing(const std::string& file, uint64_t page) const;
  bool poisoned(const std::string& file, uint64_t page) const { return !units_backing(file, page).empty(); }
  // Every poisoned file page (injected units only), sorted.
  std::set<FilePage> poisoned_pages() const;
};

// The method a trial ran: its injection record's, else the spec's.
std::string method_of(const nlohmann::json& cell_spec, const TrialRecord& trial);

// Throws InputError (pointer /stack) when the trial's stack cannot be read
// as addresses.
TrialModel build_trial_model(const nlohmann::json& cell_spec, const ObservationRecord& obs, size_t trial_position);

}  // namespace poisonlab::oracles
