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
  std::string text;   // everything after "event: ", unparsed
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

}  // namespace poisonlab
