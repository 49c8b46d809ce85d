#include "history/history_schema.h"

#include <system_error>

#include <fmt/format.h>

#include "common/error.h"
#include "history/history_store.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;

// Version 1. Cells, oracles, samples and series hang off their run with
// ON DELETE CASCADE, so replacing a run is one DELETE.
constexpr const char* kSchema = R"sql(
CREATE TABLE runs (
  run_id      TEXT PRIMARY KEY,
  scenario    TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  status      TEXT,
  report_path TEXT NOT NULL,
  git_sha     TEXT,
  variants    TEXT NOT NULL,
  digest      TEXT NOT NULL,
  added_at    TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_scenario_date ON runs (scenario, started_at);
CREATE TABLE cells (
  run_id         TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  cell_index     INTEGER NOT NULL,
  variant        TEXT NOT NULL,
  cell_key       TEXT NOT NULL,
  cell_id        TEXT NOT NULL,
  release        TEXT,
  verdict        TEXT NOT NULL,
  status         TEXT NOT NULL,
  cell_file      TEXT,
  notify_summary TEXT,
  PRIMARY KEY (run_id, cell_index)
) STRICT;
CREATE INDEX cells_by_variant_key ON cells (variant, cell_key);
CREATE TABLE oracles (
  run_id     TEXT NOT NULL,
  cell_index INTEGER NOT NULL,
  position   INTEGER NOT NULL,
  name       TEXT NOT NULL,
  verdict    TEXT NOT NULL,
  PRIMARY KEY (run_id, cell_index, position),
  FOREIGN KEY (run_id, cell_index) REFERENCES cells (run_id, cell_index) ON DELETE CASCADE
) STRICT;
CREATE TABLE samples (
  run_id     TEXT NOT NULL,
  cell_index INTEGER NOT NULL,
  metric     TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  value_ms   REAL NOT NULL,
  PRIMARY KEY (run_id, cell_index, metric, seq),
  FOREIGN KEY (run_id, cell_index) REFERENCES cells (run_id, cell_index) ON DELETE CASCADE
) STRICT;
CREATE TABLE series (
  run_id   TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  variant  TEXT NOT NULL,
  name     TEXT,
  body     TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
) STRICT;
)sql";

int user_version(Database& db) {
  Statement version = db.prepare("PRAGMA user_version");
  version.step();
  return static_cast<int>(version.integer(0));
}

int64_t table_count(Database& db) {
  Statement count = db.prepare("SELECT count(*) FROM sqlite_schema");
  count.step();
  return count.integer(0);
}

void create_schema(Database& db) {
  Transaction transaction(db);
  if (table_count(db) != 0) return;  // another add created it while we waited
  db.execute(kSchema);
  db.execute(fmt::format("PRAGMA user_version = {}", kHistorySchemaVersion));
  transaction.commit();
}

// A store of this version; an empty file becomes one when writable.
void check_schema(Database& db, bool writable) {
  int version = user_version(db);
  if (version == kHistorySchemaVersion) return;
  const std::string file = db.file().string();
  if (version != 0)
    throw UserError(fmt::format("{}: a history store of schema version {}; this poisonlab reads version {} "
                                "(use the poisonlab that wrote it, or start a new store with --db)",
                                file, version, kHistorySchemaVersion),
                    kExitBadInput);
  if (table_count(db) != 0)
    throw UserError(fmt::format("{}: a SQLite database, but not a poisonlab history store (user_version 0)", file),
                    kExitBadInput);
  if (!writable)
    throw UserError(fmt::format("{}: an empty history store (add reports with `poisonlab history add`)", file),
                    kExitBadInput);
  create_schema(db);
  if (user_version(db) != kHistorySchemaVersion) check_schema(db, writable);
}

}  // namespace

Database open_history_database(const fs::path& file, bool writable) {
  if (!writable && !fs::exists(file))
    throw UserError(fmt::format("{}: no history store there (create it with `poisonlab history add REPORT`, "
                                "or name another with --db or $POISONLAB_HISTORY)",
                                file.string()));
  std::error_code error;
  if (writable && file.has_parent_path()) fs::create_directories(file.parent_path(), error);
  if (error) throw UserError(fmt::format("{}: cannot create its directory: {}", file.string(), error.message()));
  Database db(file, writable ? Database::Access::read_write_create : Database::Access::read_only);
  check_schema(db, writable);
  return db;
}

}  // namespace poisonlab
