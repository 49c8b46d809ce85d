#pragma once
// The history store: a SQLite file of run records (history_record.h),
// keyed by variant, scenario, cell key and date (plus the run id). Schema
// and design: reports/history.md.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "history/history_record.h"
#include "history/sqlite_db.h"

namespace poisonlab {

// PRAGMA user_version of a store this build reads and writes.
inline constexpr int kHistorySchemaVersion = 1;

// $POISONLAB_HISTORY when set and not empty, else results/history.sqlite
// (beside the run directories, relative to the working directory).
std::filesystem::path default_history_path();

enum class AddOutcome {
  added,            // a run id the store did not have
  already_present,  // the same run with the same content: nothing written
  updated,          // the same run id with other content (e.g. after `poisonlab judge`): its rows replaced
};

// "added", "already in history", "updated": what `history add` prints.
std::string describe(AddOutcome outcome);

// Selects cells; an unset field matches everything.
struct CellFilter {
  std::optional<std::string> variant, scenario, key, run_id;
};

// One cell of one run with its samples of one metric.
struct CellRow {
  std::string run_id, started_at, scenario, variant, key, id, verdict, status;
  std::vector<double> samples_ms;  // trial order
};

// A run's part for one kernel variant.
struct VariantRun {
  std::string variant, scenario, run_id, started_at;
};

class HistoryStore {
 public:
  enum class Mode {
    read_only,   // the file must exist (trend, regressions, export)
    read_write,  // creates the file, and its directory, when missing (add)
  };
  // UserError naming the file when it is not a SQLite database, is a store
  // of another schema version, is another program's database, or cannot be
  // opened.
  HistoryStore(const std::filesystem::path& file, Mode mode);

  // One transaction: either the whole run is stored or nothing changes.
  AddOutcome add(const RunRecord& run);

  // Every run, whole, in date order (started_at, then run id).
  std::vector<RunRecord> runs() const;
  // Matching cells in date order (then run id, variant, report order), with their
  // samples of metric ("revocation" or a phase).
  std::vector<CellRow> cells(const CellFilter& filter, const std::string& metric) const;
  // For each (variant, scenario), its latest `count` runs, newest first,
  // ordered by variant then scenario.
  std::vector<VariantRun> latest_runs(size_t count) const;
  // Every metric name in the store, sorted.
  std::vector<std::string> metrics() const;

  const std::filesystem::path& file() const { return db_.file(); }

 private:
  RunRecord read_run(Statement& row) const;
  std::vector<CellRecord> read_cells(const RunRecord& run) const;
  void insert(const RunRecord& run, const std::string& digest);

  mutable Database db_;
};

}  // namespace poisonlab
