#pragma once
// Parser of tracefs `trace` text into events. Lines look like
//   "  poisonlab-agent-123     [001] d..1.    12.345678: memory_failure: (memory_failure+0x0/0x340) pfn=0x10027b flags=0x1"
// (the irq-info column is optional, the timestamp has 6 or 9 decimals).
// Arguments are the key=value pairs of kprobe and most tracepoint output;
// two tracepoints that print prose are split by hand (see parse_trace_args).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct TraceEvent {
  uint64_t time_ns = 0;
  int cpu = 0;
  int pid = 0;
  std::string comm;
  std::string event;
  std::map<std::string, std::string> args;
  std::string where;  // kprobe location "(memory_failure+0x0/0x340)", "" for tracepoints
  std::string text;   // everything after "event: ", unparsed; not in to_json (old reports have it)
  bool operator==(const TraceEvent&) const = default;
};

// "12.345678" -> 12345678000, "12.345678901" -> 12345678901; nullopt if not
// "digits.digits".
std::optional<uint64_t> parse_trace_timestamp(std::string_view text);

// key=value pairs; a value runs up to the next " key=" so values with spaces
// (a comm like "kworker/u4:1 foo") survive.
std::map<std::string, std::string> parse_key_values(std::string_view text);

// Arguments of one event's payload (text after "event: ", location removed).
std::map<std::string, std::string> parse_trace_args(std::string_view event, std::string_view payload);

// One line; nullopt for comments, blank lines and lines of another shape.
std::optional<TraceEvent> parse_trace_line(std::string_view line);
// All event lines of a `trace` file, in file order.
std::vector<TraceEvent> parse_trace_text(std::string_view text);

void to_json(nlohmann::json& j, const TraceEvent& e);
void from_json(const nlohmann::json& j, TraceEvent& e);

// A stored trace event as the oracles keep it (a large range has hundreds
// of thousands): names interned, the string arguments packed in one string.
// `where` and `text` are not kept: nothing judges them.
struct TraceRecord {
  uint64_t time_ns = 0;
  int64_t pid = 0;
  int cpu = 0;
  std::string_view event;  // as stored, e.g. "memory_failure" (interned: valid for the process's life)
  std::string_view comm;   // interned
  std::string packed_args;  // key \x1f value \x1e key \x1f value ...

  // The event name without a "group/" prefix.
  std::string_view name() const;
  // A string argument, nullopt when absent.
  std::optional<std::string_view> arg(std::string_view key) const;
  // {key: value} of the string arguments.
  nlohmann::json args_json() const;
};

// One stored event (PROTOCOL.md TraceEvent) checked and compacted; throws
// InputError (file "observation") naming pointer + "/event", "/time_ns",
// "/pid" or "/args" when the event has the wrong shape.
TraceRecord trace_record_from_json(const nlohmann::json& e, const std::string& pointer);
// Every event of a stored trace_events array (null: none); pointer names the array.
std::vector<TraceRecord> trace_records_from_json(const nlohmann::json& events, const std::string& pointer);
// A name kept for the process's life: event names and comms repeat.
std::string_view intern_trace_name(std::string_view name);

}  // namespace poisonlab
