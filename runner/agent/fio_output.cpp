#include "agent/fio_output.h"

#include <algorithm>
#include <charconv>
#include <regex>
#include <sstream>

namespace poisonlab::agent {
namespace {

using nlohmann::json;

json number_or_null(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_number() ? o[key] : json(nullptr);
}

json direction(const json& d) {
  return {{"bw_kib_s", number_or_null(d, "bw")},           {"iops", number_or_null(d, "iops")},
          {"io_bytes", number_or_null(d, "io_bytes")},     {"total_ios", number_or_null(d, "total_ios")},
          {"short_ios", number_or_null(d, "short_ios")},   {"drop_ios", number_or_null(d, "drop_ios")},
          {"runtime_ms", number_or_null(d, "runtime")}};
}

json job_figures(const json& job) {
  return {{"error", number_or_null(job, "error")},
          {"total_err", number_or_null(job, "total_err")},  // only with continue_on_error
          {"first_error", number_or_null(job, "first_error")},
          {"job_runtime_ms", number_or_null(job, "job_runtime")},
          {"elapsed_s", number_or_null(job, "elapsed")},
          {"read", direction(job.value("read", json()))},
          {"write", direction(job.value("write", json()))}};
}

void scan_messages(const std::string& text, FioOutput& out) {
  static const std::regex got_signal(R"(got signal=(\d+))");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // fio may print a line both into its output file and to a terminal stream.
    if (line.empty() || std::find(out.messages.begin(), out.messages.end(), line) != out.messages.end()) continue;
    out.messages.push_back(line);
    std::smatch m;
    if (std::regex_search(line, m, got_signal)) out.signals.push_back(std::stoi(m[1]));
  }
}

bool to_u64(std::string_view s, uint64_t& v) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

FioOutput parse_fio_output(const std::string& output, const std::string& stderr_text) {
  FioOutput out;
  // fio writes its log lines into the output file around the JSON, whose
  // top-level braces are the only ones at the start of a line.
  size_t start = output.starts_with("{") ? 0 : output.find("\n{");
  if (start != std::string::npos && start > 0) ++start;
  size_t end = start == std::string::npos ? std::string::npos : output.find("\n}", start);
  if (end != std::string::npos) end += 2;
  else if (start != std::string::npos && output.rfind('}') != std::string::npos) end = output.rfind('}') + 1;  // one line
  scan_messages(output.substr(0, std::min(start, output.size())), out);
  if (end != std::string::npos) scan_messages(output.substr(end), out);
  scan_messages(stderr_text, out);
  if (start == std::string::npos || end == std::string::npos) {
    out.parse_error = output.empty() ? "no output" : "no JSON in the output";
    return out;
  }
  try {
    json doc = json::parse(output.substr(start, end - start));
    const json& jobs = doc.value("jobs", json::array());
    if (jobs.empty() || !jobs[0].is_object()) throw std::runtime_error("no job in the JSON");
    out.result = job_figures(jobs[0]);
  } catch (const std::exception& e) {
    out.parse_error = e.what();
  }
  return out;
}

json parse_bw_log(const std::string& text, size_t* bad_lines) {
  json samples = json::array();
  size_t bad = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    uint64_t f[3];
    size_t from = 0;
    bool ok = true;
    for (int i = 0; i < 3 && ok; ++i) {
      if (from > line.size()) {  // fewer than three fields
        ok = false;
        break;
      }
      size_t comma = line.find(',', from);
      if (comma == std::string_view::npos) comma = line.size();
      ok = to_u64(line.substr(from, comma - from), f[i]);
      from = comma + 1;
    }
    if (!ok) {
      ++bad;
      continue;
    }
    samples.push_back({f[0] * 1000000ull, f[1], f[2]});
  }
  if (bad_lines) *bad_lines = bad;
  return samples;
}

}  // namespace poisonlab::agent
