// `poisonlab export kcidb REPORT`: the report as KCIDB I/O v5 data.
#include <iostream>
#include <regex>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "export/kcidb.h"
#include "report/report.h"

namespace poisonlab {

namespace {

struct KcidbRequest {
  std::filesystem::path report;
  std::filesystem::path out;  // empty: stdout
  KcidbOptions options;
};

// The origin is checked by export_kcidb.
void check_options(KcidbOptions& options) {
  std::string& url = options.artifacts_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  static const std::regex absolute_url("^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]+$");
  if (!url.empty() && !std::regex_match(url, absolute_url))
    throw UserError("--artifacts-url " + url + ": expected an absolute URL (scheme://...)", kExitBadInput);
}

int export_kcidb_file(KcidbRequest& request) {
  check_options(request.options);
  nlohmann::json data = export_kcidb(load_report(request.report), request.options, request.report);
  std::string text = data.dump(2) + "\n";
  if (request.out.empty())
    std::cout << text;
  else
    write_file_atomic(request.out, text);
  return kExitOk;
}

}  // namespace

void add_export_commands(CLI::App& app, int& exit_code) {
  auto* exporter = app.add_subcommand("export", "Write a report in another format")->require_subcommand(1);
  static KcidbRequest request;
  auto* kcidb = exporter->add_subcommand(
      "kcidb", "KernelCI KCIDB I/O v5 JSON: the run, its kernels as builds, its cells as tests");
  kcidb->add_option("report", request.report, "report.json of a run")->required()->check(CLI::ExistingFile);
  kcidb->add_option("--origin", request.options.origin, "KCIDB origin ([a-z0-9_]+), the prefix of every id")
      ->capture_default_str();
  kcidb->add_option("--out", request.out, "Write here (atomically) instead of stdout");
  kcidb->add_option("--artifacts-url", request.options.artifacts_url,
                    "URL the run directory is published under: tests link their serial log and cell file");
  kcidb->callback([&] { exit_code = export_kcidb_file(request); });
}

}  // namespace poisonlab
