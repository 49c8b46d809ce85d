// Oracles about the file system: told about metadata poison and shut down,
// not shut down otherwise, and consistent when checked after the cell.
#include <fmt/format.h>

#include "observe/kernel_log.h"
#include "oracles/media_errors.h"
#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

constexpr std::string_view kSpaceMetadata = "metadata";
constexpr std::string_view kSpaceNamespace = "namespace";

json shutdown_events(const TrialRecord& t) {
  json out = json::array();
  for (const TraceRecord& e : t.trace_events)
    if (e.name() == "xfs_force_shutdown")
      out.push_back({{"trial", t.index}, {"time_ns", e.time_ns}, {"args", e.args_json()}});
  return out;
}

// The notify-path class of each memory failure of an injected unit.
json notify_classes(const Cell& cell, size_t i) {
  json out = json::array();
  for (const ModelUnit& u : cell.models[i].units) {
    if (!u.injected) continue;
    for (const json& g : cell.notify[i]["per_event"])
      if (g["pfn"] == u.pfn)
        out.push_back({{"trial", cell.obs.trials[i].index},
                       {"pfn", fmt::format("{:#x}", u.pfn)},
                       {"class", g["class"]},
                       {"reason", g["reason"]}});
  }
  return out;
}

std::string tail(const std::string& text, size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

std::string last_output(const FsckRecord& fsck) {
  if (!fsck.runs.is_array() || fsck.runs.empty()) return "";
  const json& last = fsck.runs.back();
  return last.is_object() ? last.value("output_tail", std::string()) : "";
}

// The device argument of the last run, for "<device>: No such file or directory".
std::string last_device(const FsckRecord& fsck) {
  if (!fsck.runs.is_array() || fsck.runs.empty()) return "";
  const json& argv = fsck.runs.back().value("argv", json::array());
  return argv.is_array() && !argv.empty() && argv.back().is_string() ? argv.back().get<std::string>() : "";
}

bool says_log_dirty(const std::string& out) {
  return out.find("log which needs to be replayed") != std::string::npos ||
         out.find("metadata changes in a log") != std::string::npos;
}

struct FsckJudgement {
  std::string verdict;  // pass / fail / skip
  std::string why;
  json evidence;
};

FsckJudgement judge_fsck(const Cell& cell, const TeardownRecord& td, size_t position) {
  FsckJudgement j;
  j.evidence = {{"teardown", position}};
  if (td.skipped) return {std::string(kSkip), "teardown skipped: " + *td.skipped, j.evidence};
  if (!td.fsck) return {std::string(kSkip), "no file system check ran", j.evidence};
  const FsckRecord& f = *td.fsck;
  std::string out = last_output(f);
  j.evidence["clean"] = f.clean ? json(*f.clean) : json(nullptr);
  j.evidence["skipped"] = f.skipped ? json(*f.skipped) : json(nullptr);
  j.evidence["log_replay"] = f.log_replay ? json(*f.log_replay) : json(nullptr);
  j.evidence["output_tail"] = tail(out, 1500);
  if (f.skipped) return {std::string(kSkip), "check skipped: " + *f.skipped, j.evidence};
  if (f.clean == true) return {std::string(kPass), "clean", j.evidence};
  std::string device = last_device(f);
  if (!device.empty() && out.find(device + ": No such file or directory") != std::string::npos)
    return {std::string(kSkip), device + " was gone when the check ran", j.evidence};
  json media = json::object();
  for (const auto& [disk, lines] : td.region_badblocks)
    if (!lines.empty()) media["region:" + disk] = lines;
  for (const TrialRecord& t : cell.obs.trials)
    for (const auto& [disk, lines] : t.badblocks_after)
      if (!lines.empty()) media[fmt::format("trial {}:{}", t.index, disk)] = lines;
  j.evidence["media_errors"] = media;
  if (!media.empty())
    return {std::string(kSkip), "media errors remain on the device (reads of bad sectors fail): " + media.dump(),
            j.evidence};
  if (says_log_dirty(out) && !f.log_replay)
    return {std::string(kSkip), "the check ran on a dirty log that was not replayed", j.evidence};
  return {std::string(kFail), "not clean: " + tail(out, 200), j.evidence};
}

}  // namespace

OracleResult metadata_poison_handled(const Cell& cell) {
  constexpr std::string_view kName = "metadata_poison_handled";
  if (cell.target_space != kSpaceMetadata) return make_skip(kName, "the target is not file system metadata");
  json trials = json::array(), classes = json::array();
  size_t shut_down = 0, judged = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    if (cell.models[i].injected_units() == 0) continue;
    ++judged;
    json events = shutdown_events(t);
    json messages = find_xfs_shutdown_messages(t.kernel_log.empty() ? cell.obs.kernel_log : t.kernel_log);
    bool write_eio = t.fs_write_probe && !t.fs_write_probe->ok && t.fs_write_probe->err == kEio;
    bool down = !events.empty() || !messages.empty() || write_eio;
    shut_down += down;
    json c = notify_classes(cell, i);
    for (const json& x : c) classes.push_back(x);
    trials.push_back(
        {{"trial", t.index},
         {"target", t.target},
         {"xfs_force_shutdown_events", events},
         {"shutdown_messages", messages},
         {"fs_write_probe",
          t.fs_write_probe ? json{{"ok", t.fs_write_probe->ok}, {"errno", t.fs_write_probe->err}} : json(nullptr)},
         {"shut_down", down},
         {"notify_path", c}});
  }
  json evidence = {{"trials", trials}};
  if (judged == 0) return make_skip(kName, "no metadata unit was injected", evidence);
  std::map<std::string, int> by_class;
  for (const json& c : classes) by_class[c["class"].get<std::string>()]++;
  std::string path;
  for (const auto& [name, n] : by_class) path += fmt::format("{}{} x{}", path.empty() ? "" : ", ", name, n);
  if (path.empty()) path = "no memory_failure traced";
  bool told = by_class.count("holder") > 0;
  std::string summary =
      fmt::format("the file system shut down in {} of {} trial(s); notify path: {}", shut_down, judged, path);
  if (shut_down < judged && !told && by_class.count("generic-fallback")) summary += ": the file system was never told";
  return make_result(kName, shut_down == judged, evidence, summary);
}

OracleResult fs_not_shut_down(const Cell& cell) {
  constexpr std::string_view kName = "fs_not_shut_down";
  if (cell.target_space == kSpaceMetadata)
    return make_skip(kName, "metadata target: judged by metadata_poison_handled");
  if (cell.target_space == kSpaceNamespace || cell.method == kMethodUnbind)
    return make_skip(kName, "unbind: judged by unbind_observed");
  auto messages = find_xfs_shutdown_messages(cell.obs.kernel_log);
  json events = json::array();
  for (const TrialRecord& t : cell.obs.trials)
    for (const json& e : shutdown_events(t)) events.push_back(e);
  const TeardownRecord* td = cell.obs.teardown ? &*cell.obs.teardown : nullptr;
  bool umount_recorded = td && td->umount_ok.has_value();
  bool umount_ok = umount_recorded && *td->umount_ok;
  json evidence = {{"shutdown_messages", messages},
                   {"xfs_force_shutdown_events", events},
                   {"trace_checked", cell.obs.trace_enabled && probe_ok(cell.obs, "xfs_force_shutdown")},
                   {"umount_ok", umount_recorded ? json(umount_ok) : json(nullptr)},
                   {"umount_error", td ? td->umount_error : json(nullptr)}};
  bool passed = messages.empty() && events.empty() && umount_ok;
  return make_result(
      kName, passed, evidence,
      fmt::format("{} XFS shutdown message(s), {} xfs_force_shutdown event(s), umount {}", messages.size(),
                  events.size(), umount_recorded ? (umount_ok ? "ok" : "failed") : "not recorded"));
}

OracleResult fsck_clean(const Cell& cell) {
  constexpr std::string_view kName = "fsck_clean";
  auto teardowns = cell.obs.all_teardowns();
  if (teardowns.empty()) return make_skip(kName, "no teardown recorded");
  json evidence = json::array();
  size_t pass = 0, fail = 0;
  std::string first_fail, first_skip;
  for (size_t i = 0; i < teardowns.size(); ++i) {
    FsckJudgement j = judge_fsck(cell, *teardowns[i], i);
    j.evidence["verdict"] = j.verdict;
    j.evidence["why"] = j.why;
    evidence.push_back(j.evidence);
    if (j.verdict == kPass) ++pass;
    if (j.verdict == kFail && fail++ == 0) first_fail = j.why;
    if (j.verdict == kSkip && first_skip.empty()) first_skip = j.why;
  }
  if (fail)
    return make_result(kName, false, evidence, fmt::format("{} of {} check(s) {}", fail, teardowns.size(), first_fail));
  if (pass == 0) return make_skip(kName, first_skip, evidence);
  return make_result(kName, true, evidence, fmt::format("{} of {} check(s) clean", pass, teardowns.size()));
}

}  // namespace poisonlab::oracles
