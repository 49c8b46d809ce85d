// libFuzzer target: bytes -> a report file -> load_report and every reader
// after it: cell_key, `summary` (table and matrix), `compare` (the report
// against itself, all metrics) and `history add` (the run record). Only
// InputErrors with a pointer are accepted.
#include <cstddef>
#include <cstdint>

#include "compare/compare_reports.h"
#include "compare/compare_text.h"
#include "fuzz_outcome.h"
#include "history/history_record.h"
#include "report/matrix.h"
#include "report/report.h"
#include "report/summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poisonlab;
  const auto& file = fuzz::write_input("report.json", data, size);
  const std::string name = file.string();
  const nlohmann::json parsed = fuzz::parse_leniently(data, size);
  const nlohmann::json* document = parsed.is_discarded() ? nullptr : &parsed;
  nlohmann::json report;
  bool loaded = false;
  fuzz::expect_input_errors_only(name, document, [&] {
    report = load_report(file);
    loaded = true;
  });
  if (!loaded) return 0;
  // Each reader on its own: one rejecting the report must not hide another's crash.
  fuzz::expect_input_errors_only(name, &report, [&] {
    for (const auto& cell : report["cells"]) (void)cell_key(cell);
  });
  fuzz::expect_input_errors_only(name, &report, [&] { (void)format_summary(report); });
  fuzz::expect_input_errors_only(name, &report, [&] { (void)format_matrix(report); });
  fuzz::expect_input_errors_only(name, &report, [&] {
    CompareOptions options;
    options.metrics = {kAllMetrics};
    std::vector<NamedReport> side{{name, report}};
    nlohmann::json result = compare_reports(side, side, options);
    (void)format_comparison(result);
    (void)result.dump();
  });
  fuzz::expect_input_errors_only(name, &report, [&] { (void)to_json(record_from_report(report, file)).dump(); });
  return 0;
}
