#pragma once
// The scenario's "fio" field (scenarios/README.md): fio jobs that run on
// the DAX file system through every trial, before, during and after the
// injection, so the report can show what the poison did to a workload.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/json_reader.h"

namespace poisonlab {

struct FioJob {
  std::string name;                  // unique; default: the ioengine
  std::string ioengine = "psync";    // "mmap" | "psync"
  std::string rw = "randread";       // read | randread | write | randwrite | readwrite | randrw
  int bs_kib = 4;
  std::string target = "victim";     // "victim": the trial's victim file (read only) | "separate": a file of its own
  int size_pages = 256;              // separate
  bool continue_on_error = false;    // fio --continue_on_error=all: count errors instead of stopping the job
  bool operator==(const FioJob&) const = default;
};

struct FioSpec {
  std::vector<FioJob> jobs;
  int before_ms = 2000;  // baseline before the injection starts
  int after_ms = 2000;   // after the injection (and its settle wait) ends
  int log_avg_ms = 100;  // bandwidth log interval (fio --log_avg_msec)
  bool operator==(const FioSpec&) const = default;
};

// Limits shared by the loader, the documentation and the tests.
inline constexpr int kMaxFioJobs = 4;
inline constexpr int kMaxFioSeparatePages = 16384;  // 64 MiB

// file_pages: the victim file's size in pages (a victim job's block must fit).
FioSpec read_fio(const JsonAt& at, int file_pages);
// As the CellSpec (PROTOCOL.md) and a filled-in scenario carry it.
nlohmann::json fio_to_json(const FioSpec& fio);

}  // namespace poisonlab
