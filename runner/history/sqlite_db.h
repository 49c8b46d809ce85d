#pragma once
// Small RAII wrappers over the SQLite C API: a connection, a prepared
// statement and a transaction. Every value goes in through a bound
// parameter, never through the SQL text. Errors throw UserError naming the
// database file and SQLite's message.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace poisonlab {

class Statement;

class Database {
 public:
  enum class Access { read_only, read_write_create };

  // read_only: the file must exist. read_write_create: creates the file (not
  // its directory). Waits up to 10 s for another writer's lock.
  Database(const std::filesystem::path& file, Access access);

  // Runs SQL without parameters (schema, pragmas, BEGIN/COMMIT).
  void execute(std::string_view sql);
  Statement prepare(std::string_view sql);
  const std::filesystem::path& file() const { return file_; }
  // "FILE: what: SQLite's message (code)"; thrown by every wrapper here.
  [[noreturn]] void fail(std::string_view what) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::filesystem::path file_;
  std::unique_ptr<sqlite3, Close> db_;
};

class Statement {
 public:
  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::optional<std::string>& text);  // nullopt binds NULL
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);

  // Advances to the next row; false when done.
  bool step();
  // Runs a statement that returns no rows, then resets it for reuse.
  void run();
  // Clears bindings and rewinds, so the statement can run again.
  void reset();

  std::string text(int column) const;  // "" for NULL
  std::optional<std::string> optional_text(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  friend class Database;
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  Statement(const Database& db, sqlite3_stmt* statement) : db_(&db), statement_(statement) {}
  void check_bind(int rc, int index);

  const Database* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
};

// BEGIN IMMEDIATE on construction (takes the write lock at once, so two
// writers queue instead of failing half way); ROLLBACK on destruction unless
// commit() ran, so an exception leaves the database as it was.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace poisonlab
