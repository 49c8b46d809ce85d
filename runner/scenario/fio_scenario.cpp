#include "scenario/fio_scenario.h"

#include <cctype>

#include <fmt/format.h>

namespace poisonlab {
using nlohmann::json;

namespace {

bool reads_only(const std::string& rw) { return rw == "read" || rw == "randread"; }

FioJob read_job(const JsonAt& at, int file_pages) {
  ObjectReader o(at, {"name", "ioengine", "rw", "bs_kib", "target", "size_pages", "continue_on_error"});
  FioJob job;
  job.ioengine = o.one_of("ioengine", {"mmap", "psync"});
  job.name = o.optional_string("name").value_or(job.ioengine);
  bool ok = !job.name.empty() && job.name.size() <= 32;
  for (char c : job.name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  if (!ok) {
    JsonAt name = o.required("name");
    name.fail("expected 1..32 characters from [A-Za-z0-9_-], got " + describe_json(name.value()));
  }
  job.rw = o.one_of("rw", {"read", "randread", "write", "randwrite", "readwrite", "randrw"}, job.rw);
  job.target = o.one_of("target", {"victim", "separate"}, job.target);
  job.bs_kib = static_cast<int>(o.integer("bs_kib", 4, 1024, job.bs_kib));
  if (job.bs_kib % 4 != 0) o.required("bs_kib").fail(fmt::format("expected a multiple of 4 (pages), got {}", job.bs_kib));
  job.continue_on_error = o.boolean("continue_on_error", job.continue_on_error);
  if (job.target == "separate") {
    job.size_pages = static_cast<int>(o.integer("size_pages", 1, kMaxFioSeparatePages, job.size_pages));
  } else {
    if (o.optional("size_pages")) o.required("size_pages").fail("expected size_pages only with target \"separate\"");
    // Writing would change the data whose checksums judge the injection.
    if (!reads_only(job.rw))
      o.required("rw").fail(fmt::format("expected \"read\" or \"randread\" on the victim file (writes would change the "
                                        "data the checksums compare), got \"{}\"; use target \"separate\" to write",
                                        job.rw));
    job.size_pages = file_pages;
  }
  if (job.bs_kib / 4 > job.size_pages)
    o.required("bs_kib").fail(fmt::format("expected a block no larger than the job's file ({} pages = {} KiB), got {}",
                                          job.size_pages, job.size_pages * 4, job.bs_kib));
  return job;
}

}  // namespace

FioSpec read_fio(const JsonAt& at, int file_pages) {
  ObjectReader o(at, {"jobs", "before_ms", "after_ms", "log_avg_ms"});
  FioSpec fio;
  auto items = read_array(o.required("jobs"), 1, kMaxFioJobs);
  for (size_t i = 0; i < items.size(); ++i) {
    fio.jobs.push_back(read_job(items[i], file_pages));
    for (size_t j = 0; j < i; ++j)
      if (fio.jobs[j].name == fio.jobs[i].name)
        items[i].fail(fmt::format("expected a unique job name; \"{}\" is already /jobs/{} (set \"name\")", fio.jobs[i].name, j));
  }
  fio.log_avg_ms = static_cast<int>(o.integer("log_avg_ms", 10, 5000, fio.log_avg_ms));
  // A window shorter than two log intervals holds no whole sample.
  int min_window = 2 * fio.log_avg_ms;
  fio.before_ms = static_cast<int>(o.integer("before_ms", min_window, 600000, fio.before_ms));
  fio.after_ms = static_cast<int>(o.integer("after_ms", min_window, 600000, fio.after_ms));
  return fio;
}

json fio_to_json(const FioSpec& fio) {
  json jobs = json::array();
  for (const FioJob& j : fio.jobs) {
    json job = {{"name", j.name}, {"ioengine", j.ioengine}, {"rw", j.rw}, {"bs_kib", j.bs_kib},
                {"target", j.target}, {"continue_on_error", j.continue_on_error}};
    if (j.target == "separate") job["size_pages"] = j.size_pages;
    jobs.push_back(job);
  }
  return {{"jobs", jobs}, {"before_ms", fio.before_ms}, {"after_ms", fio.after_ms}, {"log_avg_ms", fio.log_avg_ms}};
}

}  // namespace poisonlab
