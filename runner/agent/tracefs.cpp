#include "agent/tracefs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/clock.h"
#include "agent/sysfs.h"

namespace poisonlab::agent {
namespace {

constexpr const char* kGroup = "poisonlab";
constexpr const char* kInstance = "poisonlab";

}  // namespace

const std::vector<ProbeDef>& default_probes() {
  static const std::vector<ProbeDef> probes{
      {"memory_failure", "kprobe", "memory_failure pfn=$arg1:x64 flags=$arg2:x32", ""},
      {"memory_failure_ret", "kretprobe", "memory_failure ret=$retval:s32", ""},
      {"pmem_pagemap_memory_failure", "kprobe",
       "pmem_pagemap_memory_failure pfn=$arg2:x64 nr=$arg3:u64 flags=$arg4:x32", ""},
      {"dax_holder_notify_failure", "kprobe", "dax_holder_notify_failure off=$arg2:x64 len=$arg3:x64 flags=$arg4:x32",
       ""},
      {"dax_holder_notify_failure_ret", "kretprobe", "dax_holder_notify_failure ret=$retval:s32", ""},
      // Present only in kernels with kernel-config/patches/dm-notify-failure:
      // elsewhere the probe fails and the report says so.
      {"dm_dax_notify_failure", "kprobe", "dm_dax_notify_failure off=$arg2:x64 len=$arg3:x64 flags=$arg4:x32", ""},
      {"xfs_dax_notify_failure", "kprobe", "xfs_dax_notify_failure off=$arg2:x64 len=$arg3:x64 flags=$arg4:x32", ""},
      {"xfs_dax_notify_failure_ret", "kretprobe", "xfs_dax_notify_failure ret=$retval:s32", ""},
      {"mf_dax_kill_procs", "kprobe", "mf_dax_kill_procs index=$arg2:x64 count=$arg3:u64 flags=$arg4:x32", ""},
      {"mf_generic_kill_procs", "kprobe", "mf_generic_kill_procs pfn=$arg1:x64 flags=$arg2:x32", ""},
      {"unmap_mapping_range", "kprobe", "unmap_mapping_range start=$arg2:x64 len=$arg3:x64", ""},
      {"unmap_mapping_range_ret", "kretprobe", "unmap_mapping_range", ""},
      {"memory_failure_event", "tracepoint", "ras:memory_failure_event", ""},
      {"signal_generate", "tracepoint", "signal:signal_generate", "sig == 7"},
      {"xfs_force_shutdown", "tracepoint", "xfs:xfs_force_shutdown", ""},
  };
  return probes;
}

std::string kprobe_command(const ProbeDef& def) {
  return std::string(def.kind == "kretprobe" ? "r" : "p") + ":" + kGroup + "/" + def.name + " " + def.definition;
}

TraceSession::TraceSession(std::filesystem::path root)
    : root_(std::move(root)), instance_(root_ / "instances" / kInstance) {
  if (access((root_ / "kprobe_events").c_str(), W_OK) != 0) {
    error_ = "tracefs not usable: " + (root_ / "kprobe_events").string() + ": " + strerror(errno);
    return;
  }
  remove_all();  // leftovers of an agent that did not exit cleanly
  if (::mkdir(instance_.c_str(), 0755) != 0) {
    error_ = "cannot create " + instance_.string() + ": " + strerror(errno);
    return;
  }
  if (int err = write_attr(instance_ / "trace_clock", "mono")) {
    error_ = "cannot set trace_clock mono: " + std::string(strerror(err));
    return;
  }
  write_attr(instance_ / "buffer_size_kb", "4096");
  write_attr(instance_ / "tracing_on", "1");
  uint64_t t0 = monotonic_ns();
  for (const auto& def : default_probes()) create_probe(def);
  setup_ns_ = monotonic_ns() - t0;
}

TraceSession::~TraceSession() { remove_all(); }

std::filesystem::path TraceSession::event_dir(const ProbeDef& def) const {
  if (def.kind == "tracepoint") {
    auto colon = def.definition.find(':');
    return instance_ / "events" / def.definition.substr(0, colon) / def.definition.substr(colon + 1);
  }
  return instance_ / "events" / kGroup / def.name;
}

std::string TraceSession::last_error_log_line() const {
  auto log = read_attr(root_ / "error_log");
  if (!log || log->empty()) return "";
  // The entry is two or three lines: "[time] trace_kprobe: error: ...",
  // "  Command: ...", "  ^": keep the error line.
  size_t err = log->rfind("error:");
  if (err == std::string::npos) return "";
  size_t end = log->find('\n', err);
  return log->substr(err, end == std::string::npos ? std::string::npos : end - err);
}

void TraceSession::create_probe(const ProbeDef& def) {
  ProbeStatus st{def.name, def.kind, false, std::nullopt};
  if (def.kind != "tracepoint") {
    write_attr(root_ / "error_log", "", true);
    if (int err = write_attr(root_ / "kprobe_events", kprobe_command(def) + "\n")) {
      std::string detail = last_error_log_line();
      st.error = "kprobe_events '" + kprobe_command(def) + "': " + strerror(err) +
                 (detail.empty() ? "" : " (" + detail + ")");
      status_.push_back(st);
      return;
    }
  }
  auto dir = event_dir(def);
  if (!std::filesystem::exists(dir)) {
    st.error = "no event directory " + dir.string();
  } else if (int err = def.filter.empty() ? 0 : write_attr(dir / "filter", def.filter)) {
    st.error = "cannot set filter '" + def.filter + "' on " + dir.string() + ": " + strerror(err);
  } else {
    st.ok = true;
  }
  status_.push_back(st);
}

void TraceSession::set_enabled(bool on) {
  if (!usable()) return;
  const auto& defs = default_probes();
  for (size_t i = 0; i < defs.size() && i < status_.size(); ++i) {
    if (!status_[i].ok) continue;
    if (int err = write_attr(event_dir(defs[i]) / "enable", on ? "1" : "0")) {
      status_[i].ok = false;
      status_[i].error = "cannot " + std::string(on ? "enable" : "disable") + " " + event_dir(defs[i]).string() +
                         ": " + strerror(err);
    }
  }
  enabled_ = on;
}

void TraceSession::clear() {
  if (usable()) write_attr(instance_ / "trace", "", true);
}

std::vector<TraceEvent> TraceSession::read(std::vector<std::string>& errors) {
  if (!usable()) return {};
  auto text = read_attr(instance_ / "trace");
  if (!text) {
    errors.push_back("cannot read " + (instance_ / "trace").string() + ": " + strerror(errno));
    return {};
  }
  return parse_trace_text(*text);
}

void TraceSession::remove_all() {
  // Events must be disabled in every instance before a kprobe can go, and
  // removing the instance disables its events.
  if (std::filesystem::exists(instance_)) {
    write_attr(instance_ / "events" / "enable", "0");
    ::rmdir(instance_.c_str());
  }
  for (const auto& def : default_probes())
    if (def.kind != "tracepoint") write_attr(root_ / "kprobe_events", std::string("-:") + kGroup + "/" + def.name);
  enabled_ = false;
}

nlohmann::json TraceSession::to_json(bool enabled) const {
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& p : status_)
    probes.push_back({{"name", p.name}, {"kind", p.kind}, {"ok", p.ok},
                      {"error", p.error ? nlohmann::json(*p.error) : nlohmann::json(nullptr)}});
  nlohmann::json j{{"enabled", enabled && usable()}, {"probes", probes}, {"instance", instance_.string()},
                   {"trace_clock", "mono"}, {"probe_setup_ns", setup_ns_}};
  j["error"] = error_ ? nlohmann::json(*error_) : nlohmann::json(nullptr);
  return j;
}

}  // namespace poisonlab::agent
