#pragma once
// Kprobes, kretprobes and tracepoints of the memory-failure path, recorded
// in a private tracefs instance (instances/poisonlab, trace_clock mono).
// A probe that cannot be created is recorded with its error, not fatal.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "observe/trace_parse.h"

namespace poisonlab::agent {

struct ProbeDef {
  std::string name;        // event name (group "poisonlab" for kprobes)
  std::string kind;        // "kprobe" | "kretprobe" | "tracepoint"
  std::string definition;  // kprobe: "SYMBOL ARGS"; tracepoint: "system:event"
  std::string filter;      // tracepoint filter, "" for none
};

struct ProbeStatus {
  std::string name;
  std::string kind;
  bool ok = false;
  std::optional<std::string> error;
};

// The probes of PROTOCOL.md, in table order.
const std::vector<ProbeDef>& default_probes();
// "p:poisonlab/memory_failure memory_failure pfn=..." for kprobe_events.
std::string kprobe_command(const ProbeDef& def);

class TraceSession {
 public:
  // Creates the instance and the probes. Never throws: if tracefs itself is
  // unusable, usable() is false and error() says why.
  explicit TraceSession(std::filesystem::path root = "/sys/kernel/tracing");
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  bool usable() const { return !error_; }
  const std::optional<std::string>& error() const { return error_; }
  const std::vector<ProbeStatus>& probes() const { return status_; }
  // Turns the created events on or off in the instance.
  void set_enabled(bool on);
  // Empties the instance buffer (trial start).
  void clear();
  // Parses the instance buffer (trial end); appends trouble to errors.
  std::vector<TraceEvent> read(std::vector<std::string>& errors);
  nlohmann::json to_json(bool enabled) const;

 private:
  std::filesystem::path event_dir(const ProbeDef& def) const;
  void create_probe(const ProbeDef& def);
  void remove_all();
  std::string last_error_log_line() const;

  std::filesystem::path root_;
  std::filesystem::path instance_;
  std::optional<std::string> error_;
  std::vector<ProbeStatus> status_;
  bool enabled_ = false;
  uint64_t setup_ns_ = 0;
};

}  // namespace poisonlab::agent
