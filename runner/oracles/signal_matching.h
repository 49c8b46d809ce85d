#pragma once
// Which SIGBUS an early-kill victim should get for a trial's poisoned pages,
// and which of the signals it received match them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "oracles/observation_model.h"

namespace poisonlab::oracles {

struct ExpectedSignal {
  uint64_t file_page = 0;
  uint64_t addr = 0;  // map_addr + (file_page - map_offset_pages) * page_size
};

struct SignalMatch {
  std::vector<ExpectedSignal> expected;
  std::vector<const SignalRecord*> matched;     // parallel to expected; nullptr when missing
  std::vector<const SignalRecord*> unexpected;  // SIGBUS BUS_MCEERR_AO matching no expected one
  std::vector<const SignalRecord*> other;       // any other signal (e.g. BUS_MCEERR_AR on access)

  bool complete() const;
};

uint64_t page_address(const VictimRecord& v, uint64_t file_page, uint64_t page_size);
// The file page an address falls in, if it is inside the victim's mapping.
std::optional<uint64_t> file_page_of(const VictimRecord& v, uint64_t addr, uint64_t page_size);

std::vector<ExpectedSignal> expected_early_kill_signals(const TrialRecord& t, const VictimRecord& v);
// Each expected signal takes the first unused received SIGBUS with code
// BUS_MCEERR_AO and exactly its address.
SignalMatch match_early_kill_signals(const TrialRecord& t, const VictimRecord& v);

nlohmann::json signal_json(const SignalRecord& s, const VictimRecord& v, uint64_t page_size);
nlohmann::json expected_json(const ExpectedSignal& e);

}  // namespace poisonlab::oracles
