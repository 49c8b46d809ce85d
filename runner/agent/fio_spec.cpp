#include "agent/fio_spec.h"

#include <initializer_list>

#include "common/error.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;

// The runner validated the scenario; this guards the message itself.
struct FioReader {
  const std::string& source;

  [[noreturn]] void fail(const std::string& ptr, const std::string& expected) const {
    throw InputError(source, ptr, expected);
  }

  std::string string(const json& o, const char* key, const std::string& ptr, const std::string& dflt,
                     std::initializer_list<const char*> allowed) const {
    if (!o.contains(key)) return dflt;
    if (!o[key].is_string()) fail(ptr + "/" + key, "a string");
    std::string v = o[key].get<std::string>();
    for (const char* a : allowed)
      if (v == a) return v;
    fail(ptr + "/" + key, "one of the documented values, got \"" + v + "\"");
  }

  uint64_t number(const json& o, const char* key, const std::string& ptr, uint64_t dflt, uint64_t min,
                  uint64_t max) const {
    if (!o.contains(key)) return dflt;
    if (!o[key].is_number_unsigned()) fail(ptr + "/" + key, "a non-negative integer");
    uint64_t n = o[key].get<uint64_t>();
    if (n < min || n > max)
      fail(ptr + "/" + key, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return n;
  }
};

FioJobSpec parse_job(const FioReader& r, const json& j, const std::string& ptr) {
  if (!j.is_object()) r.fail(ptr, "an fio job object");
  FioJobSpec job;
  job.ioengine = r.string(j, "ioengine", ptr, "", {"mmap", "psync"});
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    r.fail(ptr + "/name", "a job name");
  job.name = j["name"].get<std::string>();
  if (job.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
    r.fail(ptr + "/name", "characters from [A-Za-z0-9_-] (it names files)");
  job.rw = r.string(j, "rw", ptr, job.rw, {"read", "randread", "write", "randwrite", "readwrite", "randrw"});
  job.bs_kib = r.number(j, "bs_kib", ptr, job.bs_kib, 4, 1024);
  job.target = r.string(j, "target", ptr, job.target, {"victim", "separate"});
  job.size_pages = r.number(j, "size_pages", ptr, job.size_pages, 1, 1u << 20);
  if (j.contains("continue_on_error")) {
    if (!j["continue_on_error"].is_boolean()) r.fail(ptr + "/continue_on_error", "true or false");
    job.continue_on_error = j["continue_on_error"].get<bool>();
  }
  if (job.target == "victim" && job.rw != "read" && job.rw != "randread")
    r.fail(ptr + "/rw", "\"read\" or \"randread\" on the victim file");
  return job;
}

}  // namespace

FioSpec parse_fio_spec(const json& fio, const std::string& source) {
  FioReader r{source};
  if (!fio.is_object()) r.fail("/fio", "an object");
  if (!fio.contains("jobs") || !fio["jobs"].is_array() || fio["jobs"].empty() || fio["jobs"].size() > 8)
    r.fail("/fio/jobs", "an array of 1 to 8 jobs");
  FioSpec spec;
  for (size_t i = 0; i < fio["jobs"].size(); ++i) {
    std::string ptr = "/fio/jobs/" + std::to_string(i);
    spec.jobs.push_back(parse_job(r, fio["jobs"][i], ptr));
    for (size_t k = 0; k < i; ++k)
      if (spec.jobs[k].name == spec.jobs[i].name) r.fail(ptr + "/name", "a name no other job has");
  }
  spec.log_avg_ms = r.number(fio, "log_avg_ms", "/fio", spec.log_avg_ms, 10, 5000);
  spec.before_ms = r.number(fio, "before_ms", "/fio", spec.before_ms, 0, 600000);
  spec.after_ms = r.number(fio, "after_ms", "/fio", spec.after_ms, 0, 600000);
  return spec;
}

}  // namespace poisonlab::agent
