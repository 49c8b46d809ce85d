#include "run/agent_requests.h"

#include <chrono>
#include <regex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using nlohmann::json;

uint64_t unsigned_field(const json& request, const char* key, uint64_t max) {
  if (!request.contains(key) || !request[key].is_number_integer() ||
      (!request[key].is_number_unsigned() && request[key].get<int64_t>() < 0))
    throw UserError(fmt::format("agent request: /{}: expected a non-negative integer", key));
  uint64_t v = request[key].get<uint64_t>();
  if (v > max) throw UserError(fmt::format("agent request: /{}: expected at most {}, got {}", key, max, v));
  return v;
}

std::string mce_command(const json& request) {
  uint64_t cpu = unsigned_field(request, "cpu", 255);
  uint64_t bank = unsigned_field(request, "bank", 31);
  uint64_t status = unsigned_field(request, "status", UINT64_MAX);
  uint64_t mcg_status = unsigned_field(request, "mcg_status", UINT64_MAX);
  uint64_t addr = unsigned_field(request, "addr", UINT64_MAX);
  uint64_t misc = unsigned_field(request, "misc", UINT64_MAX);
  bool broadcast = request.value("broadcast", true);
  return fmt::format("mce {}{} {} {:#x} {:#x} {:#x} {:#x}", broadcast ? "-b " : "", cpu, bank, status, mcg_status,
                     addr, misc);
}

// Stops the VM for as long as it lives; continues it even when a monitor
// command in between throws.
class StoppedVm {
 public:
  explicit StoppedVm(const MonitorFn& monitor) : monitor_(monitor) { monitor_("stop"); }
  ~StoppedVm() {
    try {
      monitor_("cont");
    } catch (...) {  // the VM is gone: nothing left to continue
    }
  }
  StoppedVm(const StoppedVm&) = delete;
  StoppedVm& operator=(const StoppedVm&) = delete;

 private:
  const MonitorFn& monitor_;
};

// A vCPU spinning in user space is in the kernel now and then (timer
// ticks); 5 ms between tries keeps a few hundred tries well under a second.
constexpr int kMaxUserModeAttempts = 400;
constexpr std::chrono::milliseconds kUserModeRetryGap{5};

void serve_in_user_mode(const MonitorFn& monitor, const json& request, const std::string& command, json& reply) {
  int cpu = static_cast<int>(unsigned_field(request, "cpu", 255));
  for (int attempt = 1; attempt <= kMaxUserModeAttempts; ++attempt) {
    {
      StoppedVm stopped(monitor);
      std::optional<int> cpl = cpl_of_cpu(monitor("info registers -a"), cpu);
      reply["attempts"] = attempt;
      reply["cpl"] = cpl ? json(*cpl) : json(nullptr);
      if (!cpl) throw UserError(fmt::format("agent request: the monitor shows no CPL for vCPU {}", cpu));
      if (*cpl == 3) {
        reply["output"] = monitor(command);
        return;
      }
    }
    std::this_thread::sleep_for(kUserModeRetryGap);
  }
  throw UserError(fmt::format("agent request: vCPU {} was not in user mode in {} tries", cpu, kMaxUserModeAttempts));
}

}  // namespace

std::optional<int> cpl_of_cpu(const std::string& text, int cpu) {
  // `info registers -a` starts each vCPU's block with "CPU#n".
  static const std::regex header(R"(CPU#(\d+))"), cpl(R"(CPL=(\d))");
  std::vector<std::pair<size_t, int>> blocks;  // (offset, cpu index)
  for (auto it = std::sregex_iterator(text.begin(), text.end(), header); it != std::sregex_iterator(); ++it)
    blocks.emplace_back(it->position(), std::stoi((*it)[1].str()));
  if (blocks.empty() && cpu == 0) blocks.emplace_back(0, 0);  // one vCPU: no header
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].second != cpu) continue;
    size_t end = i + 1 < blocks.size() ? blocks[i + 1].first : text.size();
    std::string block = text.substr(blocks[i].first, end - blocks[i].first);
    std::smatch m;
    if (std::regex_search(block, m, cpl)) return std::stoi(m[1].str());
  }
  return std::nullopt;
}

void serve_monitor_request(const MonitorFn& monitor, const json& request, json& reply) {
  std::string command = monitor_command_for(request);
  reply["command"] = command;
  if (request.value("user_mode", false))
    serve_in_user_mode(monitor, request, command, reply);
  else
    reply["output"] = monitor(command);
}

std::optional<QmpRequest> qmp_request_for(const json& request) {
  if (request.value("action", "") != "cxl-inject-poison") return std::nullopt;
  // The device id is one the runner gave the type-3 device: never a free QOM path.
  static const std::regex device_id(R"(cxl-pmem[0-9]{1,2})");
  std::string device = request.contains("device") && request["device"].is_string() ? request["device"].get<std::string>() : "";
  if (!std::regex_match(device, device_id))
    throw UserError("agent request: /device: expected a CXL type-3 device id like \"cxl-pmem0\"");
  uint64_t start = unsigned_field(request, "start", uint64_t{1} << 52);
  uint64_t length = unsigned_field(request, "length", uint64_t{1} << 20);
  if (start % 64 != 0) throw UserError(fmt::format("agent request: /start: expected a multiple of 64, got {}", start));
  if (length == 0 || length % 64 != 0)
    throw UserError(fmt::format("agent request: /length: expected a positive multiple of 64, got {}", length));
  return QmpRequest{"cxl-inject-poison",
                    {{"path", "/machine/peripheral/" + device}, {"start", start}, {"length", length}}};
}

void serve_qmp_request(const QmpFn& qmp, const QmpRequest& command, json& reply) {
  reply["command"] = json{{"execute", command.name}, {"arguments", command.arguments}}.dump();
  reply["return"] = qmp(command.name, command.arguments);
  reply["output"] = "";
}

std::string monitor_command_for(const json& request) {
  std::string action = request.value("action", "");
  if (action == "mce") return mce_command(request);
  throw UserError("agent request: /action: expected \"mce\", got \"" + action + "\"");
}

}  // namespace poisonlab
