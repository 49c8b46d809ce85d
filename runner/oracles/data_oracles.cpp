// Oracles about the data: what a re-access or a pread of a poisoned page
// gave, and whether the pages the poison did not touch kept their contents.
#include <fmt/format.h>

#include <cstring>

#include "observe/kernel_log.h"
#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

bool starts_with_error(const std::string& checksum) { return checksum.rfind("error", 0) == 0; }

// The media-error lines over a poisoned (file, page); empty when none.
json media_errors_of(const TrialModel& m, const std::string& file, uint64_t page) {
  json lines = json::array();
  for (const ModelUnit* u : m.units_backing(file, page))
    for (const std::string& l : u->media_errors)
      lines.push_back({{"disk", u->disk.value_or(u->unit->disk)}, {"range", l}});
  return lines;
}

// A shut-down file system answers every read with EIO: that is the file
// system refusing service, not data lost.
bool fs_shut_down(const TrialRecord& t) {
  return (t.fs_write_probe && !t.fs_write_probe->ok && t.fs_write_probe->err == kEio) ||
         !poisonlab::find_xfs_shutdown_messages(t.kernel_log).empty();
}

json opt_json(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }
json opt_json(const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

OracleResult reaccess_no_hang(const Cell& cell) {
  constexpr std::string_view kName = "reaccess_no_hang";
  if (!cell.spec.is_object() || !cell.spec.value("reaccess", false)) return make_skip(kName, "reaccess disabled");
  json evidence = json::array();
  size_t done = 0, timeouts = 0;
  for (const TrialRecord& t : cell.obs.trials) {
    for (const VictimRecord& v : t.victims) {
      if (!v.reaccess) continue;
      const ReaccessRecord& r = *v.reaccess;
      json e = victim_header(t, v);
      e["done"] = r.done;
      e["outcome"] = r.outcome;
      e["file_page"] = r.file_page ? json(*r.file_page) : json(nullptr);
      e["code"] = opt_json(r.code);
      e["data_matches"] = opt_json(r.data_matches);
      e["error"] = r.error ? json(*r.error) : json(nullptr);
      evidence.push_back(e);
      done += r.done;
      timeouts += r.outcome == "timeout";
    }
  }
  if (done == 0 && timeouts == 0) return make_skip(kName, "no victim re-accessed a page", evidence);
  return make_result(kName, timeouts == 0, evidence,
                     fmt::format("{} re-access(es) done, {} timed out", done, timeouts));
}

OracleResult reaccess_safe(const Cell& cell) {
  constexpr std::string_view kName = "reaccess_safe";
  json judged = json::array();
  size_t sigbus = 0, read_soft = 0, stale = 0, mismatched = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    for (const VictimRecord& v : t.victims) {
      if (!v.reaccess || !v.reaccess->done || !v.reaccess->file_page) continue;
      const ReaccessRecord& r = *v.reaccess;
      if (!m.poisoned(v.file, *r.file_page) || (r.outcome != "read-ok" && r.outcome != "sigbus")) continue;
      json media = media_errors_of(m, v.file, *r.file_page);
      json e = victim_header(t, v);
      e["file_page"] = *r.file_page;
      e["outcome"] = r.outcome;
      e["code"] = opt_json(r.code);
      e["data_matches"] = opt_json(r.data_matches);
      e["media_errors"] = media;
      if (r.outcome == "sigbus") {
        ++sigbus;
        e["judgement"] = "SIGBUS";
      } else if (!media.empty()) {
        ++stale;
        e["judgement"] = "stale data served over a media error";
      } else if (r.data_matches == false) {
        ++mismatched;
        e["judgement"] = "data that is not the page's pattern";
      } else {
        ++read_soft;
        e["judgement"] = "read over software-only poison (recorded: the media holds the data)";
      }
      judged.push_back(e);
    }
  }
  if (judged.empty()) return make_skip(kName, "no victim re-accessed a poisoned page", judged);
  return make_result(kName, stale == 0 && mismatched == 0, judged,
                     fmt::format("{} re-access(es) of poisoned pages: {} SIGBUS, {} read over software-only poison, "
                                 "{} read stale data over a media error, {} read wrong data",
                                 judged.size(), sigbus, read_soft, stale, mismatched));
}

OracleResult pread_media_error(const Cell& cell) {
  constexpr std::string_view kName = "pread_media_error";
  json judged = json::array(), software_only = json::array();
  size_t refused = 0, served = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    for (const PreadRecord& p : t.pread) {
      json e = {
          {"trial", t.index},         {"file", p.file},
          {"file_page", p.file_page}, {"bytes", p.bytes},
          {"errno", p.err},           {"error", p.err ? json(std::strerror(static_cast<int>(p.err))) : json(nullptr)}};
      json media = media_errors_of(m, p.file, p.file_page);
      if (media.empty()) {
        software_only.push_back(e);
        continue;
      }
      e["media_errors"] = media;
      bool failed = p.err != 0 || p.bytes < static_cast<int64_t>(kPageBytes);
      (failed ? refused : served)++;
      e["refused"] = failed;
      judged.push_back(e);
    }
  }
  json evidence = {{"over_media_errors", judged}, {"software_only", software_only}};
  if (judged.empty()) return make_skip(kName, "no poisoned page has a media error recorded", evidence);
  return make_result(kName, served == 0, evidence,
                     fmt::format("{} pread(s) of poisoned pages over a media error: {} failed or short, {} returned "
                                 "the whole page",
                                 judged.size(), refused, served));
}

OracleResult data_outside_intact(const Cell& cell) {
  constexpr std::string_view kName = "data_outside_intact";
  json changed = json::array(), unreadable = json::array(), not_checked = json::array(), refused = json::array();
  size_t intact = 0, poisoned = 0, whole_device = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    if (m.whole_device) {
      ++whole_device;  // every page is the target
      continue;
    }
    for (const auto& [file, pages] : t.checksums_before) {
      auto after_file = t.checksums_after.find(file);
      for (const auto& [page, before] : pages) {
        if (m.poisoned(file, page)) {
          ++poisoned;
          continue;
        }
        json e = {{"trial", t.index}, {"file", file}, {"page", page}, {"before", before}};
        const std::string* after = nullptr;
        if (after_file != t.checksums_after.end()) {
          auto it = after_file->second.find(page);
          if (it != after_file->second.end()) after = &it->second;
        }
        e["after"] = after ? json(*after) : json(nullptr);
        if (!starts_with_error(before) && after && starts_with_error(*after) && fs_shut_down(t))
          refused.push_back(e);
        else if (starts_with_error(before) || (after && starts_with_error(*after)))
          unreadable.push_back(e);
        else if (!after)
          not_checked.push_back(e);
        else if (*after != before)
          changed.push_back(e);
        else
          ++intact;
      }
    }
  }
  json evidence = {{"changed", changed},
                   {"unreadable", unreadable},
                   {"not_read_after", not_checked},
                   {"refused_after_shutdown", refused},
                   {"intact", intact},
                   {"poisoned_pages_skipped", poisoned}};
  size_t compared = intact + changed.size() + unreadable.size();
  if (compared == 0 && !refused.empty())
    return make_skip(kName,
                     fmt::format("the file system shut down: {} unpoisoned page(s) could not be read back (EIO)",
                                 refused.size()),
                     evidence);
  if (compared == 0)
    return make_skip(kName,
                     whole_device ? "unbind: the whole device is the target" : "no unpoisoned window page checksummed",
                     evidence);
  return make_result(kName, changed.empty() && unreadable.empty(), evidence,
                     fmt::format("{} of {} unpoisoned window page(s) intact, {} changed, {} unreadable, {} not read "
                                 "after",
                                 intact, compared, changed.size(), unreadable.size(), not_checked.size()));
}

}  // namespace poisonlab::oracles
