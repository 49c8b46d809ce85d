#pragma once
// The history store's SQLite schema (version kHistorySchemaVersion,
// reports/history.md "The store") and how a file is opened as a store.
#include <filesystem>

#include "history/sqlite_db.h"

namespace poisonlab {

// Opens file as a history store of this version. Writable: creates the
// file and its directory when missing, and the schema in an empty file.
// Read-only: the file must exist. UserError naming the file when it is not
// SQLite, is empty (read-only), has another schema version, or is another
// program's database.
Database open_history_database(const std::filesystem::path& file, bool writable);

}  // namespace poisonlab
