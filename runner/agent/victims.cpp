#include "agent/victims.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "agent/clock.h"
#include "common/error.h"

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101  // uapi asm-generic/mman-common.h
#endif

namespace poisonlab::agent {

// ---------------------------------------------------------------------------
// Shared area and pipe messages

// One victim's header, followed in the shared area by room for `capacity`
// SignalRecords: one per mapped page (each poisoned page signals a mapper at
// most once per injection) plus slack for re-access and madvise, so a range
// of any size is logged whole.
struct SharedRecord {
  std::atomic<uint32_t> state;  // kStarting, kReady, kFailed
  int fail_errno;
  char fail_what[32];
  uint64_t map_addr;
  std::atomic<uint32_t> stop;      // ends a spin
  std::atomic<uint32_t> nsignals;  // committed records
  std::atomic<uint32_t> dropped;   // signals that found the log full
  uint32_t capacity;
  SignalRecord* signals() { return reinterpret_cast<SignalRecord*>(this + 1); }
  const SignalRecord* signals() const { return reinterpret_cast<const SignalRecord*>(this + 1); }
};

constexpr size_t kSignalSlack = 64;

namespace {

enum : uint32_t { kStarting = 0, kReady = 1, kFailed = 2 };
enum : uint32_t { kOpExit = 1, kOpReaccess = 2, kOpMadvise = 3, kOpSoftOffline = 4, kOpSpin = 5 };
enum : int32_t { kReadOk = 1, kSigbus = 2 };

struct Command {
  uint32_t op;
  uint64_t a;  // page index within the mapping
  uint64_t b;  // page count (madvise)
};

struct Reply {
  uint32_t op;
  int32_t outcome;
  int64_t ret;
  int32_t err;
  int32_t code;
  uint64_t value;
  uint64_t start_ns;
  uint64_t end_ns;
};

static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared counters must be lock-free");

// ---------------------------------------------------------------------------
// Victim side: runs in the forked child. Only async-signal-safe calls (no
// allocation, no locks): the agent may have other threads.

SharedRecord* g_record = nullptr;
sigjmp_buf g_reaccess_jump;
volatile sig_atomic_t g_in_reaccess = 0;
volatile sig_atomic_t g_last_code = 0;

void on_sigbus(int signo, siginfo_t* info, void*) {
  uint64_t now = monotonic_ns();
  if (g_record) {
    uint32_t n = g_record->nsignals.load(std::memory_order_relaxed);
    if (n >= g_record->capacity) g_record->dropped.fetch_add(1, std::memory_order_relaxed);
    if (n < g_record->capacity) {
      SignalRecord& r = g_record->signals()[n];
      r.signo = signo;
      r.code = info->si_code;
      r.addr = reinterpret_cast<uint64_t>(info->si_addr);
      r.addr_lsb = info->si_addr_lsb;
      r.time_ns = now;
      g_record->nsignals.store(n + 1, std::memory_order_release);
    }
  }
  g_last_code = info->si_code;
  if (g_in_reaccess) {
    g_in_reaccess = 0;
    siglongjmp(g_reaccess_jump, 1);
  }
}

void write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);
    p += n;
    size -= static_cast<size_t>(n);
  }
}

bool read_all(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void fail_child(SharedRecord* rec, const char* what) {
  rec->fail_errno = errno;
  strncpy(rec->fail_what, what, sizeof rec->fail_what - 1);
  rec->state.store(kFailed, std::memory_order_release);
  _exit(2);
}

// Reads the first 8 bytes of a page with the SIGBUS handler armed to jump
// back here: once (a re-access), or over and over in user mode until the
// agent sets stop (the consumer an action-required machine check
// interrupts).
void read_page_guarded(char* base, uint64_t page_size, const Command& cmd, Reply& reply,
                       const std::atomic<uint32_t>* stop) {
  reply.outcome = 0;
  g_last_code = 0;
  reply.start_ns = monotonic_ns();
  volatile char* page = base + cmd.a * page_size;
  if (sigsetjmp(g_reaccess_jump, 1) == 0) {
    g_in_reaccess = 1;
    uint64_t value = 0;
    do {
      for (size_t i = 0; i < sizeof value; ++i) reinterpret_cast<char*>(&value)[i] = page[i];
    } while (stop && !stop->load(std::memory_order_relaxed));
    g_in_reaccess = 0;
    reply.outcome = kReadOk;
    reply.value = value;
  } else {
    reply.outcome = kSigbus;
    reply.code = g_last_code;
  }
  reply.end_ns = monotonic_ns();
}

[[noreturn]] void victim_main(const VictimPlan& plan, uint64_t page_size, SharedRecord* rec,
                              int cmd_fd, int reply_fd, pid_t agent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != agent) _exit(4);
  for (int fd = 3; fd < 1024; ++fd)
    if (fd != cmd_fd && fd != reply_fd) ::close(fd);
  g_record = rec;
  // "pl-early-0" in the kernel log and the trace instead of the agent's name.
  char comm[16] = "pl-";
  strncpy(comm + 3, plan.id.c_str(), sizeof comm - 4);
  prctl(PR_SET_NAME, comm);
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, nullptr) != 0) fail_child(rec, "sigaction");
  signal(SIGPIPE, SIG_DFL);
  if (plan.pin_cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(plan.pin_cpu, &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0) fail_child(rec, "sched_setaffinity");
  }
  unsigned long policy = plan.early_kill() ? PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE;
  if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, policy, 0, 0) != 0) fail_child(rec, "prctl PR_MCE_KILL");
  int fd = ::open(plan.path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) fail_child(rec, "open");
  size_t len = plan.map_pages * page_size;
  void* map = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                     static_cast<off_t>(plan.map_offset_pages * page_size));
  if (map == MAP_FAILED) fail_child(rec, "mmap");
  ::close(fd);
  char* base = static_cast<char*>(map);
  for (uint64_t p = 0; p < plan.map_pages; ++p) {
    volatile char c = base[p * page_size];
    (void)c;
  }
  rec->map_addr = reinterpret_cast<uint64_t>(map);
  rec->state.store(kReady, std::memory_order_release);
  Reply ready{};
  write_all(reply_fd, &ready, sizeof ready);

  for (;;) {
    Command cmd{};
    if (!read_all(cmd_fd, &cmd, sizeof cmd)) _exit(0);  // agent gone
    Reply reply{};
    reply.op = cmd.op;
    switch (cmd.op) {
      case kOpExit:
        _exit(0);
      case kOpReaccess:
        read_page_guarded(base, page_size, cmd, reply, nullptr);
        break;
      case kOpSpin:
        read_page_guarded(base, page_size, cmd, reply, &rec->stop);
        break;
      case kOpMadvise:
      case kOpSoftOffline:
        reply.start_ns = monotonic_ns();
        reply.ret = ::madvise(base + cmd.a * page_size, cmd.b * page_size,
                              cmd.op == kOpMadvise ? MADV_HWPOISON : MADV_SOFT_OFFLINE);
        reply.err = reply.ret == 0 ? 0 : errno;
        reply.end_ns = monotonic_ns();
        break;
      default:
        reply.ret = -1;
        reply.err = EINVAL;
    }
    write_all(reply_fd, &reply, sizeof reply);
  }
}

std::optional<Reply> read_reply(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    Reply reply{};
    if (!read_all(fd, &reply, sizeof reply)) return std::nullopt;  // victim died
    return reply;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Agent side

const char* role_name(Role role) {
  switch (role) {
    case Role::kEarlyKill: return "early-kill";
    case Role::kLateKill: return "late-kill";
    case Role::kNeighbour: return "neighbour";
    case Role::kInjector: return "injector";
    case Role::kConsumer: return "consumer";
  }
  return "?";
}

std::vector<VictimPlan> plan_victims(const CellSpec& spec, const VictimLayout& l, std::vector<std::string>& errors) {
  std::vector<VictimPlan> plans;
  auto add = [&](std::string id, Role role, std::string file, const std::filesystem::path& path, uint64_t first,
                 uint64_t pages) { plans.push_back({std::move(id), role, std::move(file), path, first, pages}); };
  // The mappers of one victim file: early, late, and neighbours of the range.
  auto add_mappers = [&](const std::string& prefix, const std::string& file, const std::filesystem::path& path) {
    for (int i = 0; i < spec.early_kill; ++i)
      add(prefix + "early-" + std::to_string(i), Role::kEarlyKill, file, path, l.window_first, l.window_pages);
    for (int i = 0; i < spec.late_kill; ++i)
      add(prefix + "late-" + std::to_string(i), Role::kLateKill, file, path, l.window_first, l.window_pages);
    if (!l.range_first) return;
    uint64_t window_end = l.window_first + l.window_pages, after = *l.range_first + l.range_pages;
    for (int i = 0; i < spec.neighbour; ++i) {
      std::string id = prefix + "neighbour-" + std::to_string(i);
      if (after < window_end) {
        add(id, Role::kNeighbour, file, path, after, window_end - after);
      } else if (*l.range_first > l.window_first) {
        add(id, Role::kNeighbour, file, path, l.window_first, *l.range_first - l.window_first);
      } else {
        errors.push_back("no neighbour: the poisoned range covers the whole window");
        break;
      }
    }
  };
  add_mappers("", "victim", l.victim);
  if (l.range_first) {
    if (spec.method == "madvise") add("injector", Role::kInjector, "victim", l.victim, *l.range_first, l.range_pages);
    if (spec.method == "mce" && spec.mce_mode == "ar") {
      add("consumer", Role::kConsumer, "victim", l.victim, *l.range_first, l.range_pages);
      plans.back().pin_cpu = kConsumerCpu;
    }
  }
  for (size_t k = 0; k < l.more_victims.size(); ++k)
    add_mappers("f" + std::to_string(k + 1) + "-", l.more_victims[k].first, l.more_victims[k].second);
  for (const auto& [id, path] : l.sharers)
    add(id + "-early-0", Role::kEarlyKill, id, path, l.window_first, l.window_pages);
  return plans;
}

nlohmann::json ReaccessResult::to_json() const {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"done", done},      {"outcome", outcome},           {"file_page", opt(file_page)},
          {"code", opt(code)}, {"time_ns", opt(time_ns)},      {"data_matches", opt(data_matches)},
          {"error", opt(error)}};
}

nlohmann::json ExitInfo::to_json() const { return {{"status", status}, {"code", code}, {"signal", signal}}; }

VictimGroup::VictimGroup(std::vector<VictimPlan> plans, uint64_t page_size)
    : plans_(std::move(plans)), page_size_(page_size) {
  size_t n = plans_.size();
  uint64_t widest = 0;
  for (const auto& p : plans_) widest = std::max(widest, p.map_pages);
  signal_capacity_ = static_cast<uint32_t>(widest + kSignalSlack);
  constexpr size_t kCacheLine = 64;
  record_stride_ = (sizeof(SharedRecord) + signal_capacity_ * sizeof(SignalRecord) + kCacheLine - 1) / kCacheLine * kCacheLine;
  shared_bytes_ = std::max<size_t>(1, n) * record_stride_;
  shared_ = ::mmap(nullptr, shared_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared_ == MAP_FAILED) {
    shared_ = nullptr;
    throw UserError(std::string("cannot map the victims' shared area: ") + strerror(errno));
  }
  for (size_t i = 0; i < n; ++i) new (&record(i)) SharedRecord{}, record(i).capacity = signal_capacity_;
  wait_status_.resize(n);
  killed_by_agent_.resize(n, false);
  unreapable_.resize(n, false);
  pid_t agent = getpid();
  for (size_t i = 0; i < n; ++i) {
    int cmd[2], reply[2];
    if (pipe2(cmd, O_CLOEXEC) != 0) throw UserError(std::string("pipe: ") + strerror(errno));
    if (pipe2(reply, O_CLOEXEC) != 0) {
      ::close(cmd[0]);
      ::close(cmd[1]);
      throw UserError(std::string("pipe: ") + strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
      int err = errno;
      for (int fd : {cmd[0], cmd[1], reply[0], reply[1]}) ::close(fd);
      throw UserError(std::string("fork of victim ") + plans_[i].id + ": " + strerror(err));
    }
    if (pid == 0) victim_main(plans_[i], page_size_, &record(i), cmd[0], reply[1], agent);
    ::close(cmd[0]);
    ::close(reply[1]);
    pids_.push_back(pid);
    cmd_fds_.emplace_back(cmd[1]);
    reply_fds_.emplace_back(reply[0]);
  }
}

VictimGroup::~VictimGroup() {
  for (size_t i = 0; i < pids_.size(); ++i) kill_and_reap(i);
  if (shared_) ::munmap(shared_, shared_bytes_);
}

SharedRecord& VictimGroup::record(size_t i) const {
  return *reinterpret_cast<SharedRecord*>(static_cast<char*>(shared_) + i * record_stride_);
}

uint32_t VictimGroup::signals_dropped(size_t i) const { return record(i).dropped.load(std::memory_order_acquire); }

uint64_t VictimGroup::map_addr(size_t i) const { return ready(i) ? record(i).map_addr : 0; }

bool VictimGroup::ready(size_t i) const { return record(i).state.load(std::memory_order_acquire) == kReady; }

std::vector<SignalRecord> VictimGroup::signals(size_t i) const {
  const SharedRecord& r = record(i);
  uint32_t n = std::min<uint32_t>(r.nsignals.load(std::memory_order_acquire), r.capacity);
  return std::vector<SignalRecord>(r.signals(), r.signals() + n);
}

bool VictimGroup::has_signal_for(size_t i, uint64_t file_page) const {
  if (!plans_[i].maps_page(file_page) || !ready(i)) return false;
  uint64_t begin = map_addr(i) + (file_page - plans_[i].map_offset_pages) * page_size_;
  for (const auto& s : signals(i))
    if (s.signo == SIGBUS && s.addr >= begin && s.addr < begin + page_size_) return true;
  return false;
}

void VictimGroup::wait_ready(std::chrono::milliseconds timeout, std::vector<std::string>& errors) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (size_t i = 0; i < size(); ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto reply = read_reply(reply_fds_[i].get(), std::max(left, std::chrono::milliseconds(1)));
    if (reply && ready(i)) continue;
    const SharedRecord& r = record(i);
    if (r.state.load() == kFailed)
      errors.push_back("victim " + plans_[i].id + " failed: " + std::string(r.fail_what) + ": " +
                       strerror(r.fail_errno));
    else
      errors.push_back("victim " + plans_[i].id + " did not map its pages within " +
                       std::to_string(timeout.count()) + " ms");
  }
}

bool VictimGroup::send(size_t i, uint32_t op, uint64_t a, uint64_t b) {
  Command cmd{op, a, b};
  return ::write(cmd_fds_[i].get(), &cmd, sizeof cmd) == static_cast<ssize_t>(sizeof cmd);
}

MadviseReply VictimGroup::madvise_hwpoison(size_t i, uint64_t file_page, uint64_t pages,
                                           std::chrono::milliseconds timeout) {
  return madvise(i, kOpMadvise, file_page, pages, timeout);
}

MadviseReply VictimGroup::madvise_soft_offline(size_t i, uint64_t file_page, std::chrono::milliseconds timeout) {
  return madvise(i, kOpSoftOffline, file_page, 1, timeout);
}

bool VictimGroup::start_spin(size_t i, uint64_t file_page) {
  if (!ready(i) || wait_status_[i]) return false;
  record(i).stop.store(0);
  return send(i, kOpSpin, file_page - plans_[i].map_offset_pages, 0);
}

ReaccessResult VictimGroup::stop_spin(size_t i, uint64_t file_page, std::chrono::milliseconds timeout) {
  record(i).stop.store(1);
  ReaccessResult out;
  out.file_page = file_page;
  auto reply = read_reply(reply_fds_[i].get(), timeout);
  if (!reply) {
    out.error = "the consumer did not stop spinning";
    return out;
  }
  out.done = true;
  out.time_ns = reply->end_ns;
  out.outcome = reply->outcome == kSigbus ? "sigbus" : "read-ok";
  if (reply->outcome == kSigbus) out.code = reply->code;
  return out;
}

MadviseReply VictimGroup::madvise(size_t i, uint32_t op, uint64_t file_page, uint64_t pages,
                                  std::chrono::milliseconds timeout) {
  MadviseReply out;
  if (!ready(i) || !send(i, op, file_page - plans_[i].map_offset_pages, pages)) return out;
  if (auto r = read_reply(reply_fds_[i].get(), timeout)) {
    out = {r->ret, r->err, r->start_ns, r->end_ns, true};
  }
  return out;
}

ReaccessResult VictimGroup::reaccess(size_t i, uint64_t file_page, std::chrono::milliseconds timeout) {
  ReaccessResult out;
  out.file_page = file_page;
  if (!ready(i) || wait_status_[i] || reap(i, std::chrono::milliseconds(0))) {
    out.error = "victim not running";
    return out;
  }
  if (!send(i, kOpReaccess, file_page - plans_[i].map_offset_pages, 0)) {
    out.error = std::string("cannot command victim: ") + strerror(errno);
    return out;
  }
  auto reply = read_reply(reply_fds_[i].get(), timeout);
  if (!reply) {
    if (auto st = reap(i, std::chrono::milliseconds(100)); st && WIFSIGNALED(*st) && WTERMSIG(*st) == SIGBUS) {
      out.done = true;  // the kernel forced a SIGBUS past the handler
      out.outcome = "sigbus";
      out.error = "victim killed by SIGBUS during the re-access";
      return out;
    }
    if (!wait_status_[i]) {
      kill_and_reap(i);
      out.done = true;
      out.outcome = "timeout";
      out.error = "no answer within " + std::to_string(timeout.count()) + " ms; killed";
    } else {
      out.error = "victim died during the re-access";
    }
    return out;
  }
  out.done = true;
  out.time_ns = reply->end_ns;
  if (reply->outcome == kReadOk) {
    out.outcome = "read-ok";
    out.data_matches = reply->value == file_page;
  } else {
    out.outcome = "sigbus";
    out.code = reply->code;
  }
  return out;
}

std::optional<int> VictimGroup::reap(size_t i, std::chrono::milliseconds timeout) {
  if (wait_status_[i]) return wait_status_[i];
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pids_[i], &status, WNOHANG);
    if (r == pids_[i]) {
      wait_status_[i] = status;
      return status;
    }
    if (r < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void VictimGroup::kill_and_reap(size_t i) {
  if (wait_status_[i] || unreapable_[i]) return;
  if (reap(i, std::chrono::milliseconds(0))) return;
  ::kill(pids_[i], SIGKILL);
  killed_by_agent_[i] = true;
  // A task in uninterruptible sleep (a fault on a removed device) ignores
  // SIGKILL: bounded, so the agent can still report.
  if (!reap(i, std::chrono::seconds(5))) unreapable_[i] = true;
}

ExitInfo VictimGroup::finish(size_t i, std::chrono::milliseconds timeout) {
  if (!wait_status_[i]) {
    send(i, kOpExit, 0, 0);
    if (!reap(i, timeout)) kill_and_reap(i);
  }
  ExitInfo info;
  if (!wait_status_[i]) {
    info.status = "unreapable";
    return info;
  }
  int st = *wait_status_[i];
  if (killed_by_agent_[i]) {
    info.status = "killed-by-agent";
    info.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  } else if (WIFEXITED(st)) {
    info.status = "exited";
    info.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    info.status = "signaled";
    info.signal = WTERMSIG(st);
  }
  return info;
}

}  // namespace poisonlab::agent
