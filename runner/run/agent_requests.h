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

// CXL (issue 5): requests served by a QMP command instead of HMP.
struct QmpRequest {
  std::string name;
  nlohmann::json arguments;
};
// For {"action":"cxl-inject-poison","device":"cxl-pmem0","start":DPA,"length":N}:
// QMP cxl-inject-poison {"path":"/machine/peripheral/cxl-pmem0","start":DPA,"length":N}
// (start and length multiples of 64, length up to 1 MiB). nullopt for
// actions served through HMP; throws UserError naming a bad field.
std::optional<QmpRequest> qmp_request_for(const nlohmann::json& request);

using QmpFn = std::function<nlohmann::json(const std::string& name, const nlohmann::json& arguments)>;
// Serves a QMP request; fills reply's "command" (the QMP command as JSON
// text), "return" and "output" ("" : QEMU accepted it; a refusal throws).
void serve_qmp_request(const QmpFn& qmp, const QmpRequest& command, nlohmann::json& reply);

// Serves a request through the monitor; fills reply's "command" and
// "output", and for gated requests "attempts" and "cpl". With
// "user_mode": true (an action-required machine check, which the guest only
// survives when the vCPU takes it in user mode) the VM is stopped, the
// target vCPU's CPL read, and the mce sent only at CPL 3; otherwise the VM
// runs on briefly and the check is retried. The VM is never left stopped.
void serve_monitor_request(const MonitorFn& monitor, const nlohmann::json& request, nlohmann::json& reply);

}  // namespace poisonlab
