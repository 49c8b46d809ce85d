#pragma once
// fio under fault, from the observation's trials[].fio (PROTOCOL.md): each
// job's throughput before, during and after the injection, its errors and
// whether it survived; per cell, statistics over the trials.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// Mean bandwidth (KiB/s) of the log samples in each window. A sample at t
// averages (t - interval, t]: it is "before" when it ends by the injection
// start, "after" when it starts at or after the injection end, else
// "during" (it overlaps the injection). Samples of one time (read and write
// of a mixed job) are summed first. A window without samples has nullopt.
struct BwWindows {
  std::optional<double> before, during, after;
  size_t n_before = 0, n_during = 0, n_after = 0;
  std::optional<uint64_t> last_sample_ns;
};
BwWindows bw_windows(const nlohmann::json& samples, uint64_t interval_ns, uint64_t injection_start_ns,
                     uint64_t injection_end_ns);

// One job of one trial: {"trial", "job", "ioengine", "target", "survived",
// "fate", "error", "total_err", "signals", "bw_kib_s": {"before", "during",
// "after"}, "samples": {...}, "after_over_before", "last_sample_after_injection_ms"}.
// survived: fio was still running when asked to stop and no job process
// died of a signal (I/O errors it went on after are in error / total_err).
nlohmann::json fio_job_trial(const nlohmann::json& trial, const nlohmann::json& job);

// {"per_trial": [fio_job_trial...], "jobs": {name: {"trials", "survived",
// "with_errors", "bw_kib_s_stats": {"before", "during", "after"}}}}, or null
// when no trial ran fio.
nlohmann::json fio_cell_summary(const nlohmann::json& observation);

// The cell with "fio" set from its observation (absent when it ran none).
nlohmann::json with_fio_summary(nlohmann::json cell);

// A table of every cell's fio jobs for `poisonlab summary`, or "".
std::string fio_table(const nlohmann::json& cells);

}  // namespace poisonlab
