#pragma once
// What the agent tells of a cell as it goes (PROTOCOL.md, progress detail):
// the digests of finished trials and how far the injection under way got.
// The runner keeps it so that a cell that never finishes (a 1 GiB range
// past timeouts.cell_s, a hang, a panic) is judged with partial data.
#include <nlohmann/json.hpp>

namespace poisonlab {

// Folds a progress message into partial: {"trials_done": [digest...],
// "injection_progress": {...latest...}, "last": the latest detail with its
// "stage" (e.g. a trial's "phase_done" and "phases_ns" so far)}. Messages
// without a detail object change nothing.
void note_progress(const nlohmann::json& message, nlohmann::json& partial);

}  // namespace poisonlab
