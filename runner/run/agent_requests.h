#pragma once
// Host-side actions the agent may ask for while a cell runs (PROTOCOL.md,
// "Requests"). Each request is typed and validated here and turned into
// monitor commands; the guest never gets to send raw monitor text.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// The human monitor command for a request, e.g. for
//   {"type":"request","action":"mce","cpu":0,"bank":9,"status":...,
//    "mcg_status":5,"addr":...,"misc":140,"broadcast":true}
// "mce -b 0 9 0xbd000000000000c0 0x5 0x10027b000 0x8c". Throws UserError
// naming the bad field.
std::string monitor_command_for(const nlohmann::json& request);

// The privilege level (CPL) of vCPU `cpu` in the text of HMP
// `info registers -a`; nullopt when that CPU's block or its CPL is absent.
std::optional<int> cpl_of_cpu(const std::string& info_registers_all, int cpu);

using MonitorFn = std::function<std::string(const std::string& command)>;

// Serves a request through the monitor; fills reply's "command" and
// "output", and for gated requests "attempts" and "cpl". With
// "user_mode": true (an action-required machine check, which the guest only
// survives when the vCPU takes it in user mode) the VM is stopped, the
// target vCPU's CPL read, and the mce sent only at CPL 3; otherwise the VM
// runs on briefly and the check is retried. The VM is never left stopped.
void serve_monitor_request(const MonitorFn& monitor, const nlohmann::json& request, nlohmann::json& reply);

}  // namespace poisonlab
