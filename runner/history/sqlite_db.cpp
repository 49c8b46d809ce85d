#include "history/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace poisonlab {
namespace {

constexpr int kBusyTimeoutMs = 10'000;

// What the user can do about the common failures, beside SQLite's terse text.
std::string hint_for(int code) {
  switch (code & 0xff) {
    case SQLITE_NOTADB: return " (expected a poisonlab history store, a SQLite database)";
    case SQLITE_CANTOPEN: return " (does the file's directory exist, and may you write there?)";
    case SQLITE_READONLY: return " (the file or its directory is read-only)";
    case SQLITE_BUSY: return " (another poisonlab holds the lock; try again)";
    default: return "";
  }
}

// The start of a statement, to name it in an error: "CREATE TABLE runs ".
std::string_view sql_head(std::string_view sql) {
  std::string_view head = sql.substr(std::min(sql.size(), sql.find_first_not_of(" \n")));
  return head.substr(0, head.find_first_of("(\n"));
}

}  // namespace

void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void Statement::Finalize::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

Database::Database(const std::filesystem::path& file, Access access) : file_(file) {
  int flags = access == Access::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);  // sqlite3_open_v2 hands out a handle even on failure; it must be closed
  if (rc != SQLITE_OK) fail("cannot open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
}

void Database::fail(std::string_view what) const {
  int code = db_ ? sqlite3_extended_errcode(db_.get()) : SQLITE_NOMEM;
  std::string message = db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
  int exit_code = (code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT ? kExitBadInput : kExitFailure;
  throw UserError(fmt::format("{}: {}: {}{}", file_.string(), what, message, hint_for(code)), exit_code);
}

void Database::execute(std::string_view sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);  // the same text is in sqlite3_errmsg
  if (rc != SQLITE_OK) fail(fmt::format("cannot run \"{}\"", sql_head(sql)));
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  Statement statement(*this, raw);
  if (rc != SQLITE_OK) fail(fmt::format("cannot prepare \"{}\"", sql_head(sql)));
  return statement;
}

void Statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) db_->fail(fmt::format("cannot bind parameter {}", index));
}

Statement& Statement::bind(int index, std::string_view text) {
  check_bind(sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT),
             index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Statement& Statement::bind(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(statement_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(statement_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(statement_.get(), index), index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(sqlite3_stmt_readonly(statement_.get()) ? "cannot read" : "cannot write");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

std::string Statement::text(int column) const { return optional_text(column).value_or(""); }

std::optional<std::string> Statement::optional_text(int column) const {
  const unsigned char* value = sqlite3_column_text(statement_.get(), column);
  if (!value) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(value), sqlite3_column_bytes(statement_.get(), column));
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_.get(), column); }
double Statement::real(int column) const { return sqlite3_column_double(statement_.get(), column); }
bool Statement::is_null(int column) const { return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db) { db_.execute("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    db_.execute("ROLLBACK");
  } catch (...) {  // a failed rollback leaves SQLite to roll back on close
  }
}

void Transaction::commit() {
  db_.execute("COMMIT");
  done_ = true;
}

}  // namespace poisonlab
