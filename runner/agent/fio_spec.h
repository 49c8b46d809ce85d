#pragma once
// The CellSpec's "fio" (PROTOCOL.md): fio jobs run through every trial.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab::agent {

struct FioJobSpec {
  std::string name;
  std::string ioengine = "psync";  // "mmap" | "psync"
  std::string rw = "randread";
  uint64_t bs_kib = 4;
  std::string target = "victim";   // "victim" (read only) | "separate"
  uint64_t size_pages = 256;       // separate
  bool continue_on_error = false;
};

struct FioSpec {
  std::vector<FioJobSpec> jobs;
  uint64_t before_ms = 2000;
  uint64_t after_ms = 2000;
  uint64_t log_avg_ms = 100;
};

// Throws InputError(source, "/fio/...", expectation).
FioSpec parse_fio_spec(const nlohmann::json& fio, const std::string& source);

}  // namespace poisonlab::agent
