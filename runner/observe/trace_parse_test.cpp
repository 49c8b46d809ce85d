#include "observe/trace_parse.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab {
namespace {

TEST(TraceParse, Timestamps) {
  EXPECT_EQ(parse_trace_timestamp("12.345678"), 12345678000u);
  EXPECT_EQ(parse_trace_timestamp("12.345678901"), 12345678901u);
  EXPECT_EQ(parse_trace_timestamp("0.000001"), 1000u);
  EXPECT_FALSE(parse_trace_timestamp("12").has_value());
  EXPECT_FALSE(parse_trace_timestamp("1a.5").has_value());
  EXPECT_FALSE(parse_trace_timestamp("1.1234567890").has_value());
}

TEST(TraceParse, KprobeLine) {
  auto e = parse_trace_line(
      "  poisonlab-agen-123     [001] d..1.    12.345678: memory_failure: (memory_failure+0x0/0x340) "
      "pfn=0x10027b flags=0x1");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->comm, "poisonlab-agen");
  EXPECT_EQ(e->pid, 123);
  EXPECT_EQ(e->cpu, 1);
  EXPECT_EQ(e->time_ns, 12345678000u);
  EXPECT_EQ(e->event, "memory_failure");
  EXPECT_EQ(e->where, "(memory_failure+0x0/0x340)");
  EXPECT_EQ(e->args.size(), 2u);
  EXPECT_EQ(e->args.at("pfn"), "0x10027b");
  EXPECT_EQ(e->args.at("flags"), "0x1");
}

TEST(TraceParse, KretprobeLineWithNineDecimals) {
  auto e = parse_trace_line(
      "           <...>-77      [000] .....  1234.000000123: memory_failure_ret: "
      "(madvise_inject_error+0x1a0/0x250 <- memory_failure) ret=0");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->comm, "<...>");
  EXPECT_EQ(e->pid, 77);
  EXPECT_EQ(e->time_ns, 1234000000123u);
  EXPECT_EQ(e->where, "(madvise_inject_error+0x1a0/0x250 <- memory_failure)");
  EXPECT_EQ(e->args.at("ret"), "0");
}

TEST(TraceParse, SignalGenerateWithSpacesInComm) {
  // A comm with a space and a dash, in the task column and in the payload.
  auto e = parse_trace_line(
      "    my task-x-4242    [001] d..2.    20.000001: signal_generate: sig=7 errno=0 code=5 "
      "comm=my task-x pid=4243 grp=0 res=0");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->comm, "my task-x");
  EXPECT_EQ(e->pid, 4242);
  EXPECT_EQ(e->event, "signal_generate");
  EXPECT_EQ(e->args.at("sig"), "7");
  EXPECT_EQ(e->args.at("code"), "5");
  EXPECT_EQ(e->args.at("comm"), "my task-x");
  EXPECT_EQ(e->args.at("pid"), "4243");
  EXPECT_EQ(e->args.at("res"), "0");
  EXPECT_EQ(e->where, "");
}

TEST(TraceParse, LineWithoutIrqInfoAndWithTgid) {
  auto a = parse_trace_line("  bash-5 [000] 3.500000: unmap_mapping_range: (unmap_mapping_range+0x0/0x80) start=0x4000 len=0x1000");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->args.at("start"), "0x4000");
  auto b = parse_trace_line("  bash-5 (      5) [000] d.... 3.5: signal_generate: sig=7");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->pid, 5);
  EXPECT_EQ(b->time_ns, 3500000000u);
}

TEST(TraceParse, MemoryFailureEvent) {
  auto e = parse_trace_line(
      "  poisonlab-agen-123 [001] ..... 12.5: memory_failure_event: pfn 0x10027b: recovery action for dax page: Recovered");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->args.at("pfn"), "0x10027b");
  EXPECT_EQ(e->args.at("type"), "dax page");
  EXPECT_EQ(e->args.at("result"), "Recovered");
}

TEST(TraceParse, XfsForceShutdown) {
  auto e = parse_trace_line(
      "  kworker-9 [000] ..... 1.0: xfs_force_shutdown: dev 259:0 tag 0x0 flags SHUTDOWN_CORRUPT_ONDISK "
      "file fs/xfs/xfs_notify_failure.c line_num 210");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->args.at("dev"), "259:0");
  EXPECT_EQ(e->args.at("flags"), "SHUTDOWN_CORRUPT_ONDISK");
  EXPECT_EQ(e->args.at("line_num"), "210");
}

TEST(TraceParse, KeyValuesEdgeCases) {
  auto kv = parse_key_values("a=1 b= c=x=y d=two words");
  EXPECT_EQ(kv.at("a"), "1");
  EXPECT_EQ(kv.at("b"), "");
  EXPECT_EQ(kv.at("c"), "x=y");
  EXPECT_EQ(kv.at("d"), "two words");
  EXPECT_TRUE(parse_key_values("no pairs here").empty());
}

TEST(TraceParse, SkipsHeaderAndKeepsOrder) {
  const char* text =
      "# tracer: nop\n"
      "#\n"
      "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
      "#              | |         |   |||||     |         |\n"
      "  a-1 [000] ..... 1.000001: memory_failure: (memory_failure+0x0/0x340) pfn=0x1 flags=0x1\n"
      "garbage line\n"
      "  a-1 [000] ..... 1.000002: memory_failure_ret: (x+0x1/0x2 <- memory_failure) ret=-95\n";
  auto events = parse_trace_text(text);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "memory_failure");
  EXPECT_EQ(events[1].args.at("ret"), "-95");
}

TEST(TraceParse, JsonRoundTrip) {
  auto e = parse_trace_line("  a-1 [001] ..... 1.5: signal_generate: sig=7 code=5");
  ASSERT_TRUE(e.has_value());
  nlohmann::json j = *e;
  EXPECT_EQ(j["args"]["code"], "5");
  EXPECT_EQ(j["time_ns"], 1500000000u);
  // Everything but `text`, which is not stored (it repeats where and args).
  TraceEvent stored = *e;
  stored.text.clear();
  EXPECT_EQ(j.get<TraceEvent>(), stored);
}

TEST(TraceParse, StoredEventsLeaveOutTheRepeatedText) {
  auto e = parse_trace_line(
      "  poisonlab-agen-123     [001] d..1.    12.345678: memory_failure: (memory_failure+0x0/0x340) "
      "pfn=0x10027b flags=0x1");
  ASSERT_TRUE(e.has_value());
  nlohmann::json j = *e;
  EXPECT_FALSE(j.contains("text"));
  EXPECT_EQ(j["where"], "(memory_failure+0x0/0x340)");
  EXPECT_EQ(j["args"]["pfn"], "0x10027b");
  // Old reports have it: still read.
  j["text"] = "(memory_failure+0x0/0x340) pfn=0x10027b flags=0x1";
  TraceEvent back = j.get<TraceEvent>();
  EXPECT_EQ(back.text, j["text"]);
  EXPECT_EQ(back.args, e->args);
}

TEST(TraceParse, TraceRecordKeepsWhatIsJudged) {
  nlohmann::json j = {{"time_ns", 12345678000u}, {"cpu", 1}, {"pid", 123}, {"comm", "pl-victim"},
                      {"event", "poisonlab/signal_generate"},
                      {"args", {{"sig", "7"}, {"pid", "601"}, {"comm", "pl victim x"}, {"n", 5}}},
                      {"where", ""}, {"text", "sig=7 ..."}};
  TraceRecord r = trace_record_from_json(j, "/trials/0/trace_events/3");
  EXPECT_EQ(r.time_ns, 12345678000u);
  EXPECT_EQ(r.pid, 123);
  EXPECT_EQ(r.cpu, 1);
  EXPECT_EQ(r.comm, "pl-victim");
  EXPECT_EQ(r.event, "poisonlab/signal_generate");
  EXPECT_EQ(r.name(), "signal_generate");
  EXPECT_EQ(r.arg("pid"), "601");
  EXPECT_EQ(r.arg("comm"), "pl victim x");
  EXPECT_FALSE(r.arg("n").has_value());  // only string arguments are kept
  EXPECT_FALSE(r.arg("missing").has_value());
  EXPECT_EQ(r.args_json(), nlohmann::json({{"sig", "7"}, {"pid", "601"}, {"comm", "pl victim x"}}));
  // Names are interned: one copy however many events carry them.
  EXPECT_EQ(trace_record_from_json(j, "").event.data(), r.event.data());

  auto error_of = [](nlohmann::json bad) {
    try {
      trace_record_from_json(bad, "/trials/0/trace_events/3");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nlohmann::json no_pid = j;
  no_pid.erase("pid");
  EXPECT_NE(error_of(no_pid).find("/trials/0/trace_events/3/pid"), std::string::npos);
  nlohmann::json bad_args = j;
  bad_args["args"] = "x";
  EXPECT_NE(error_of(bad_args).find("/trials/0/trace_events/3/args"), std::string::npos);
  nlohmann::json negative = j;
  negative["time_ns"] = -1;
  EXPECT_NE(error_of(negative).find("/time_ns"), std::string::npos);
  EXPECT_TRUE(trace_records_from_json(nullptr, "/x").empty());
  EXPECT_THROW(trace_records_from_json(nlohmann::json::object(), "/x"), InputError);
}

}  // namespace
}  // namespace poisonlab
