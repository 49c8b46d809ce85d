// In-guest probe benchmark: how long the kernel takes to revoke one mapped
// fs-dax page, from the write to debugfs hwpoison/corrupt-pfn to the
// early-kill SIGBUS in the process that mapped it. The agent runs it on the
// cell's mounted DAX file system after the trials (CellSpec
// "probe_benchmark") and the runner ingests its JSON into the report.
//
//   poisonlab-probe-bench --dir=/mnt/dax --benchmark_format=json
//
// Each iteration poisons a fresh page of a fresh file: poison is permanent.
// Needs root, CONFIG_HWPOISON_INJECT and a DAX mount; otherwise the
// benchmark skips with the reason.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

std::string g_dir;  // --dir
constexpr size_t kPage = 4096;
constexpr const char* kCorruptPfn = "/sys/kernel/debug/hwpoison/corrupt-pfn";

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// Shared with the mapper child: readiness and the SIGBUS arrival time.
struct Shared {
  std::atomic<int> ready;
  std::atomic<uint64_t> sigbus_ns;
};
Shared* g_shared = nullptr;

void on_sigbus(int, siginfo_t*, void*) {
  g_shared->sigbus_ns.store(now_ns());
  _exit(0);
}

// The mapper: maps the page, asks for early kill, touches it, waits.
[[noreturn]] void run_mapper(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  void* p = fd < 0 ? MAP_FAILED : mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) _exit(2);
  prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, nullptr);
  benchmark::DoNotOptimize(*static_cast<volatile const char*>(p));
  g_shared->ready.store(1);
  for (;;) pause();
}

// The page frame of a file page, through a short mapping of our own
// (pagemap needs root for the PFN).
uint64_t pfn_of(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  void* p = fd < 0 ? MAP_FAILED : mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd, 0);
  if (fd >= 0) close(fd);
  if (p == MAP_FAILED) return 0;
  benchmark::DoNotOptimize(*static_cast<volatile const char*>(p));
  uint64_t entry = 0;
  int pm = open("/proc/self/pagemap", O_RDONLY);
  if (pm >= 0) {
    pread(pm, &entry, sizeof entry, static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / kPage * sizeof entry));
    close(pm);
  }
  munmap(p, kPage);
  return (entry >> 63) ? entry & ((1ull << 55) - 1) : 0;
}

bool write_page_file(const std::string& path) {
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return false;
  std::vector<char> page(kPage, 'b');
  bool ok = write(fd, page.data(), kPage) == static_cast<ssize_t>(kPage) && fsync(fd) == 0;
  close(fd);
  return ok;
}

void BM_RevokeOnePage(benchmark::State& state) {
  if (g_dir.empty()) return state.SkipWithError("no --dir (a mounted fs-dax directory)");
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return state.SkipWithError("mmap of the shared area failed");
  g_shared = new (mem) Shared{};
  int iteration = 0;
  for (auto _ : state) {
    std::string path = g_dir + "/probe-bench-" + std::to_string(getpid()) + "-" + std::to_string(iteration++);
    if (!write_page_file(path)) return state.SkipWithError(("cannot write " + path).c_str());
    uint64_t pfn = pfn_of(path);
    if (pfn == 0) return state.SkipWithError("no PFN for the file page (not root, or not DAX)");
    g_shared->ready.store(0);
    g_shared->sigbus_ns.store(0);
    pid_t child = fork();
    if (child == 0) run_mapper(path);
    while (!g_shared->ready.load()) usleep(100);
    std::ofstream inject(kCorruptPfn);
    uint64_t start = now_ns();
    inject << pfn << std::flush;
    if (!inject) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      return state.SkipWithError("writing hwpoison/corrupt-pfn failed");
    }
    uint64_t deadline = start + 5000000000ull;
    while (g_shared->sigbus_ns.load() == 0 && now_ns() < deadline) usleep(50);
    uint64_t arrived = g_shared->sigbus_ns.load();
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    if (arrived == 0) return state.SkipWithError("no SIGBUS within 5 s of the poison");
    state.SetIterationTime(static_cast<double>(arrived - start) / 1e9);
  }
  state.counters["pages"] = static_cast<double>(iteration);
  munmap(mem, sizeof(Shared));
}
BENCHMARK(BM_RevokeOnePage)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(10)->Repetitions(3);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;  // our --dir, then Google Benchmark's own flags
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--dir="))
      g_dir = std::string(arg.substr(6));
    else
      rest.push_back(argv[i]);
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
