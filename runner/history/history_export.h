#pragma once
// The whole history as one JSON document, for the dashboard and any other
// reader (reports/history.md, "Export", documents the shape and keeps it
// stable):
// {"history_schema": 1,
//  "runs": [{"run_id", "scenario", "started_at", "finished_at", "status",
//            "report_path", "git_sha", "variants": [...],
//            "series": [<report series entry with "variant">...],
//            "cells": [{"variant", "key", "id", "release", "verdict", "status",
//                       "oracles": {name: verdict},
//                       "evidence": {"report", "cell_file", "index"},
//                       "samples": {"revocation_ms": [...], "<phase>_ms": [...]},
//                       "notify_summary": {...} | null}]}]}
// Runs in date order (started_at, then run id); cells in report order.
#include <nlohmann/json.hpp>

#include "history/history_store.h"

namespace poisonlab {

inline constexpr int kHistoryExportSchema = 1;

nlohmann::json export_history(const HistoryStore& store);

}  // namespace poisonlab
