#pragma once
// Host-side actions the agent may ask for while a cell runs (PROTOCOL.md,
// "Requests"). Each request is typed and validated here and turned into one
// monitor command; the guest never gets to send raw monitor text.
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// The human monitor command for a request, e.g. for
//   {"type":"request","action":"mce","cpu":0,"bank":9,"status":...,
//    "mcg_status":5,"addr":...,"misc":140,"broadcast":true}
// "mce -b 0 9 0xbd000000000000c0 0x5 0x10027b000 0x8c". Throws UserError
// naming the bad field.
std::string monitor_command_for(const nlohmann::json& request);

}  // namespace poisonlab
