#include "compare/compare_text.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poisonlab {

namespace {

using nlohmann::json;

// name, n A, n B, median A, median B, B/A, 95 % CI, p, q, call: 100 columns
// with "no change". A longer metric name goes on a line of its own.
constexpr size_t kNameWidth = 24;
constexpr const char* kRow = "{:<24}{:>5}{:>5}{:>9}{:>9}{:>6} {:<14}{:>8}{:>8}  {}\n";

std::string milliseconds(const json& value) {
  if (!value.is_number()) return "-";
  const double ms = value.get<double>();
  return ms < 100 ? fmt::format("{:.3f}", ms) : fmt::format("{:.1f}", ms);
}

std::string probability(const json& value) {
  if (!value.is_number()) return "-";
  const double p = value.get<double>();
  return p < 0.001 ? fmt::format("{:.1e}", p) : fmt::format("{:.3f}", p);
}

std::string ratio_number(const json& value) { return value.is_number() ? fmt::format("{:.2f}", value.get<double>()) : "?"; }

// "slower?" / "faster?": a trial-unit call that some pair of runs contradicts.
std::string call_text(const json& c) {
  const std::string call = c["call"];
  if (call == "not enough data") return "too few";
  return c.value("consistent_across_runs", json()) == false ? call + "?" : call;
}

std::string side_line(const char* label, const json& side) {
  std::vector<std::string> reports;
  for (const auto& r : side["reports"]) {
    std::string run = r["run_id"].get<std::string>();
    reports.push_back(r["name"].get<std::string>() + (run.empty() ? "" : " (run " + run + ")"));
  }
  const std::string kernels = side["kernels"].empty() ? "-" : fmt::format("{}", fmt::join(side["kernels"], ", "));
  const size_t cells = side["cells"];
  if (reports.size() == 1) return fmt::format("{}: {}; kernel {}; {} cells\n", label, reports[0], kernels, cells);
  return fmt::format("{}: kernel {}; {} cells; {} reports pooled:\n   {}\n", label, kernels, cells, reports.size(),
                     fmt::join(reports, "\n   "));
}

std::string latency_row(const std::string& metric, const json& c) {
  const json& ratio = c["ratio"];
  std::string value = ratio.is_object() ? ratio_number(ratio["value"]) : "-";
  std::string interval =
      ratio.is_object() ? fmt::format("[{}, {}]", ratio_number(ratio["ci95_low"]), ratio_number(ratio["ci95_high"])) : "";
  std::string name = "  " + metric, out;
  if (name.size() >= kNameWidth) out = name + "\n", name.clear();
  out += fmt::format(kRow, name, c["n_a"].get<size_t>(), c["n_b"].get<size_t>(), milliseconds(c["median_a"]),
                     milliseconds(c["median_b"]), value, interval, probability(c["p_value"]),
                     probability(c["q_value"]), call_text(c));
  const size_t missing_a = c["missing_a"], missing_b = c["missing_b"];
  if (missing_a + missing_b > 0)
    out += fmt::format("    (trials without a sample: A {}, B {})\n", missing_a, missing_b);
  return out;
}

std::string unit_line(const json& options) {
  if (options["unit"] == "run")
    return "unit: run: each run's median of its trials is one sample (n: runs); the bootstrap resamples runs\n";
  return "unit: trial: the trials of a side's runs are pooled (n: trials)\n";
}

// "warning: ..." wrapped at word boundaries to 100 columns.
std::string warning_text(const std::string& warning) {
  constexpr size_t kWidth = 100;
  std::string out = "warning:", line_indent = "\n        ";
  size_t column = out.size();
  for (size_t start = 0; start < warning.size();) {
    size_t end = std::min(warning.find(' ', start), warning.size());
    const std::string word = warning.substr(start, end - start);
    if (column + 1 + word.size() > kWidth) out += line_indent, column = line_indent.size() - 1;
    out += " " + word, column += 1 + word.size();
    start = end + 1;
  }
  return out + "\n";
}

std::string warning_lines(const json& result) {
  std::string out;
  for (const auto& w : result["warnings"]) out += warning_text(w.get<std::string>());
  return out;
}

std::string inconsistency_note(const json& summary) {
  if (summary["not_consistent_across_runs"] == 0) return "";
  return "slower? / faster?: the pooled trials call it, but some run of B is not beyond every run of A\n"
         "(not consistent across runs): not counted as a regression\n";
}

std::string latency_section(const json& result) {
  const json& summary = result["summary"];
  const json& options = result["options"];
  std::string out = unit_line(options) + fmt::format(
      "latency in ms: B/A is median B / median A with its 95 % bootstrap interval; p: Mann-Whitney;\n"
      "q: Benjamini-Hochberg over {} tests; called when q < {} and |B/A - 1| > {} %\n\n",
      summary["latency_tests"].get<size_t>(), options["alpha"].get<double>(), options["threshold"].get<double>() * 100);
  out += fmt::format(kRow, "cell / metric", "n A", "n B", "median A", "median B", "B/A", "95 % CI", "p", "q", "call");
  size_t rows = 0;
  for (const auto& cell : result["cells"]) {
    if (cell["latency"].empty()) continue;
    out += cell["key"].get<std::string>() + "\n";
    for (const auto& [metric, c] : cell["latency"].items()) out += latency_row(metric, c), ++rows;
  }
  if (rows == 0) out += "(no cell has latency samples on either side)\n";
  return out + inconsistency_note(summary);
}

std::string correctness_section(const json& result) {
  std::string out = "\ncorrectness (verdicts, oracles, notify path, cells)\n";
  size_t lines = 0;
  for (const auto& f : result["findings"]) {
    if (f["kind"] == "latency") continue;
    out += fmt::format("  {:<12} {}\n", f["change"].get<std::string>(), f["text"].get<std::string>());
    ++lines;
  }
  if (lines == 0) out += "  no change\n";
  return out;
}

// "1 slower latency", "2 oracle regressions", "1 cell missing in B", ...
std::string finding_group(const json& f) {
  const std::string kind = f["kind"], change = f["change"];
  if (kind == "latency")
    return f.value("consistent_across_runs", json()) == false ? change + "? latency (not consistent across runs)"
                                                               : change + " latency";
  if (kind == "missing_in_b") return "cell missing in B";
  if (kind == "only_in_b") return "cell only in B";
  if (kind == "notify_path") return "notify path change";
  return kind + " " + change;  // "verdict regression", "oracle improvement", ...
}

std::string grouped(const std::vector<std::string>& groups) {
  std::vector<std::pair<std::string, size_t>> counts;
  for (const auto& g : groups) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == g; });
    if (it == counts.end()) counts.push_back({g, 1});
    else ++it->second;
  }
  std::vector<std::string> parts;
  for (const auto& [group, n] : counts) parts.push_back(fmt::format("{} {}", n, group));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string verdict_line(const json& result) {
  std::vector<std::string> regressions, others;
  for (const auto& f : result["findings"]) (f["regression"] == true ? regressions : others).push_back(finding_group(f));
  const json& summary = result["summary"];
  if (regressions.empty() && others.empty())
    return fmt::format("\nverdict: no change ({} cells compared, {} latency tests)\n",
                       summary["cells_compared"].get<size_t>(), summary["latency_tests"].get<size_t>());
  if (regressions.empty()) return fmt::format("\nverdict: change, no regression: {}\n", grouped(others));
  return fmt::format("\nverdict: REGRESSION: {}{}\n", grouped(regressions),
                     others.empty() ? "" : fmt::format(" (and {} other changes)", others.size()));
}

}  // namespace

std::string format_comparison(const json& result) {
  return side_line("A", result["a"]) + side_line("B", result["b"]) + warning_lines(result) + "\n" +
         latency_section(result) +
         correctness_section(result) + verdict_line(result);
}

}  // namespace poisonlab
