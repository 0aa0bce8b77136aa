// A thin RAII layer over the sqlite3 C API for the NNI database exporter and importer: one
// connection, prepared statements, and errors as nas::Error that name the file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nas::bench::nni {

class SqliteDatabase;

/// A prepared statement (move-only). Parameters are 1-based, columns 0-based, as in sqlite3.
class SqliteStatement {
 public:
  SqliteStatement(const SqliteDatabase& db, const std::string& sql);
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  void bind(int parameter, std::int64_t value);
  /// NaN binds NULL (NNI stores a missing or NaN value as NULL).
  void bind(int parameter, double value);
  void bind(int parameter, const std::string& text);
  /// Steps once: true while a row is available; throws on an error.
  bool step();
  /// Runs an INSERT (or any statement without rows) with the bound values, then resets it.
  void execute();

  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  int type(int column) const { return sqlite3_column_type(statement_, column); }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  std::string text(int column) const;

 private:
  const SqliteDatabase& db_;
  sqlite3_stmt* statement_ = nullptr;
};

class SqliteDatabase {
 public:
  enum class Mode { ReadOnly, Create };
  /// Opens `path` (Create: an empty or new file). Throws nas::Error naming `path` on failure.
  SqliteDatabase(const std::string& path, Mode mode);
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  ~SqliteDatabase();

  /// Runs statements without results; throws nas::Error naming the file and sqlite's message.
  void execute(const std::string& sql) const;
  /// Closes the connection, reporting an error on failure (the destructor closes silently).
  void close();

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  /// "<path>: <sqlite's last error message>".
  std::string error_text() const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

/// The tables of a database and, on request, the columns of one (PRAGMA table_info).
std::vector<std::string> sqlite_tables(const SqliteDatabase& db);
std::vector<std::string> sqlite_columns(const SqliteDatabase& db, const std::string& table);

}  // namespace nas::bench::nni
