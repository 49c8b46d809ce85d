#include "slurm/array_tasks.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "common/error.h"

namespace poisonlab {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<long> to_number(std::string_view s) {
  long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

size_t task_id(std::string_view text, std::string_view whole) {
  auto n = to_number(text);
  if (!n || *n < 0) throw UserError(fmt::format("Slurm array task ids '{}': expected numbers", whole));
  return static_cast<size_t>(*n);
}

// "CANCELLED by 0" -> "CANCELLED"; "CANCELLED+" (sacct, truncated) -> "CANCELLED".
std::string state_name(std::string_view text) {
  text = trim(text);
  text = text.substr(0, text.find(' '));
  while (!text.empty() && text.back() == '+') text.remove_suffix(1);
  return std::string(text);
}

std::vector<TaskState> tasks_with_state(std::string_view ids, std::string state) {
  std::vector<TaskState> out;
  for (size_t index : parse_task_ids(ids)) out.push_back({index, state});
  return out;
}

}  // namespace

bool is_final_state(std::string_view state) {
  constexpr std::array<std::string_view, 13> finals = {
      "COMPLETED", "FAILED",  "CANCELLED", "TIMEOUT",      "NODE_FAIL", "PREEMPTED",  "OUT_OF_MEMORY",
      "BOOT_FAIL", "DEADLINE", "REVOKED",  "SPECIAL_EXIT", "LAUNCH_FAILED", kLeftQueue};
  return std::find(finals.begin(), finals.end(), state) != finals.end();
}

bool task_succeeded(const TaskState& task) {
  return task.state == "COMPLETED" && task.exit_code.value_or(0) == 0 && task.signal == 0;
}

std::string describe_task(const TaskState& task) {
  if (task.signal) return fmt::format("{} (signal {})", task.state, task.signal);
  if (task.exit_code && *task.exit_code != 0) return fmt::format("{} (exit {})", task.state, *task.exit_code);
  return task.state;
}

std::vector<size_t> parse_task_ids(std::string_view text) {
  std::string_view whole = text;
  text = trim(text);
  if (text.starts_with('[') && text.ends_with(']')) text = text.substr(1, text.size() - 2);
  text = text.substr(0, text.find('%'));  // the running-at-once limit
  if (text.empty()) throw UserError(fmt::format("Slurm array task ids '{}': expected numbers", whole));
  std::vector<size_t> ids;
  for (std::string_view part : split(text, ',')) {
    auto range = split(part, '-');
    if (range.size() > 2) throw UserError(fmt::format("Slurm array task ids '{}': bad range '{}'", whole, part));
    size_t first = task_id(range.front(), whole), last = task_id(range.back(), whole);
    if (last < first || last - first > 1'000'000)
      throw UserError(fmt::format("Slurm array task ids '{}': bad range '{}'", whole, part));
    for (size_t i = first; i <= last; ++i) ids.push_back(i);
  }
  return ids;
}

std::vector<TaskState> parse_squeue_tasks(std::string_view text, const std::string& job_id) {
  std::vector<TaskState> out;
  for (std::string_view line : split(text, '\n')) {
    auto fields = split(line, '|');
    if (fields.size() < 4 || trim(fields[0]) != job_id) continue;
    auto tasks = tasks_with_state(fields[1], state_name(fields[2]));
    if (auto status = to_number(trim(fields[3])); status && is_final_state(tasks.front().state)) {
      int s = static_cast<int>(*status);
      for (auto& t : tasks) {
        if (WIFEXITED(s)) t.exit_code = WEXITSTATUS(s);
        if (WIFSIGNALED(s)) t.signal = WTERMSIG(s);
      }
    }
    out.insert(out.end(), tasks.begin(), tasks.end());
  }
  return out;
}

std::vector<TaskState> parse_sacct_tasks(std::string_view text, const std::string& job_id) {
  std::vector<TaskState> out;
  const std::string prefix = job_id + "_";
  for (std::string_view line : split(text, '\n')) {
    auto fields = split(line, '|');
    if (fields.size() < 3) continue;
    std::string_view id = trim(fields[0]);
    if (!id.starts_with(prefix) || id.find('.') != std::string_view::npos) continue;  // another job, or a step
    auto tasks = tasks_with_state(id.substr(prefix.size()), state_name(fields[1]));
    auto code = split(trim(fields[2]), ':');
    if (code.size() == 2 && is_final_state(tasks.front().state)) {
      for (auto& t : tasks) {
        t.exit_code = to_number(code[0]);
        t.signal = static_cast<int>(to_number(code[1]).value_or(0));
      }
    }
    out.insert(out.end(), tasks.begin(), tasks.end());
  }
  return out;
}

void ArrayProgress::update(const std::vector<TaskState>& seen) {
  for (const auto& task : seen) {
    if (task.index >= tasks_) continue;
    auto it = known_.find(task.index);
    if (it != known_.end() && is_final_state(it->second.state)) continue;
    known_[task.index] = task;
  }
}

bool ArrayProgress::is_final(size_t index) const {
  auto it = known_.find(index);
  return it != known_.end() && is_final_state(it->second.state);
}

void ArrayProgress::update_from_listing(const std::vector<TaskState>& listing) {
  update(listing);
  std::set<size_t> listed;
  for (const auto& task : listing) listed.insert(task.index);
  for (size_t i = 0; i < tasks_; ++i) missing_listings_[i] = listed.contains(i) ? 0 : missing_listings_[i] + 1;
}

std::vector<size_t> ArrayProgress::left_queue() const {
  std::vector<size_t> gone;
  for (const auto& [index, misses] : missing_listings_)
    if (misses >= 2 && !is_final(index)) gone.push_back(index);
  return gone;
}

std::vector<size_t> ArrayProgress::unfinished() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < tasks_; ++i)
    if (!is_final(i)) out.push_back(i);
  return out;
}

void ArrayProgress::mark_left_queue(const std::vector<size_t>& indices) {
  for (size_t i : indices)
    if (i < tasks_ && !is_final(i)) known_[i] = TaskState{i, kLeftQueue};
}

size_t ArrayProgress::final_count() const {
  return std::count_if(known_.begin(), known_.end(), [](const auto& kv) { return is_final_state(kv.second.state); });
}

bool ArrayProgress::all_final() const { return final_count() == tasks_; }

std::vector<TaskState> ArrayProgress::tasks() const {
  std::vector<TaskState> out;
  for (size_t i = 0; i < tasks_; ++i) {
    auto it = known_.find(i);
    out.push_back(it != known_.end() ? it->second : TaskState{i, "UNSEEN"});
  }
  return out;
}

std::string ArrayProgress::summary() const {
  std::vector<std::pair<std::string, size_t>> counts;  // in order of first appearance
  for (const auto& task : tasks()) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == task.state; });
    if (it == counts.end()) counts.push_back({task.state, 1});
    else ++it->second;
  }
  std::string s;
  for (const auto& [state, n] : counts) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, state);
  return s;
}

}  // namespace poisonlab
