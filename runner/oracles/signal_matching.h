#pragma once
// Which SIGBUS a mapper should get for a trial's poisoned pages (from the
// expected-victim model), and which of the signals it received match them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oracles/observation_model.h"
#include "oracles/poison_model.h"

namespace poisonlab::oracles {

struct ExpectedSignal {
  std::optional<uint64_t> file_page;  // nullopt: any page (unbind takes the whole device)
  int code = kBusMceerrAo;            // AO for early-kill mappers, AR for the madvise injector
  std::optional<uint64_t> addr;       // the page's address in the mapping
  const ModelUnit* unit = nullptr;    // a unit backing the page
};

struct SignalMatch {
  std::vector<ExpectedSignal> expected;
  std::vector<const SignalRecord*> matched;   // parallel to expected; nullptr when missed
  std::vector<const SignalRecord*> spurious;  // BUS_MCEERR_AO for a page no poisoned unit backs
  std::vector<const SignalRecord*> repeated;  // BUS_MCEERR_AO for a poisoned page beyond the expected one
  std::vector<const SignalRecord*> other;     // other codes: the mapper's own access (AR, ADRERR), ...
  size_t missed() const;
};

// Whether expected_victims judges this mapper: early-kill mappers (roles
// early-kill and neighbour), and the madvise injector (the current task,
// which gets BUS_MCEERR_AR for the pages it maps).
bool judged_mapper(const TrialModel& model, const VictimRecord& v);

std::vector<ExpectedSignal> expected_signals(const TrialModel& model, const VictimRecord& v);
// Each expected signal takes the first unused received SIGBUS with its code
// and an address inside its page (any page for the whole device).
SignalMatch match_signals(const TrialModel& model, const VictimRecord& v);

nlohmann::json signal_json(const SignalRecord& s, const VictimRecord& v);

// A signal:signal_generate trace event: when, and its res (0 delivered,
// 2 TRACE_SIGNAL_ALREADY_PENDING: a standard signal is not queued twice, so
// that one never arrives).
struct GeneratedSignal {
  uint64_t time_ns = 0;
  std::string res;
};
inline constexpr const char* kSignalAlreadyPending = "2";
// The trial's generated signals by target pid (the event's args.pid), in
// time order.
std::map<int64_t, std::vector<GeneratedSignal>> generated_signals_by_pid(const TrialRecord& t);
nlohmann::json signals_json(const std::vector<const SignalRecord*>& signals, const VictimRecord& v);
nlohmann::json expected_json(const ExpectedSignal& e, const VictimRecord& v);

}  // namespace poisonlab::oracles
