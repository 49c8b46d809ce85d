#pragma once
// What fio leaves behind, read into the observation: its JSON output (the
// figures that matter, raw) and its bandwidth log. Pure functions of the
// text, so they are tested on canned output.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab::agent {

struct FioOutput {
  // The first job's figures, or null when there is no JSON:
  // {"error", "total_err", "first_error", "job_runtime_ms", "elapsed_s",
  //  "read": {"bw_kib_s", "iops", "io_bytes", "total_ios", "short_ios", "drop_ios", "runtime_ms"}, "write": {...}}
  nlohmann::json result;
  std::vector<std::string> messages;  // non-JSON lines fio printed ("fio: pid=..., got signal=7")
  std::vector<int> signals;           // signals fio reports its job processes died of
  std::string parse_error;            // why the JSON could not be read, or ""
};

// `text`: fio's --output file (log lines may precede the JSON) plus its
// stderr, in any order.
FioOutput parse_fio_output(const std::string& output, const std::string& stderr_text);

// A bandwidth log written with log_alternate_epoch_clock_id=1: lines
// "time_ms, KiB/s, direction, bs, offset[, ...]" with time in
// CLOCK_MONOTONIC ms. Returns [[time_ns, kib_s, direction], ...]; lines
// that do not parse are counted in *bad_lines.
nlohmann::json parse_bw_log(const std::string& text, size_t* bad_lines);

}  // namespace poisonlab::agent
