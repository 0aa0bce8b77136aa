// The sqlite3 RAII layer (see sqlite_db.h).
#include "nni/sqlite_db.h"

#include <cmath>

#include "nas/benchmark_api/error.h"

namespace nas::bench::nni {

SqliteStatement::SqliteStatement(const SqliteDatabase& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &statement_, nullptr) != SQLITE_OK) {
    throw Error(db.error_text());
  }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

void SqliteStatement::bind(int parameter, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, parameter, value) != SQLITE_OK) throw Error(db_.error_text());
}

void SqliteStatement::bind(int parameter, double value) {
  const int rc = std::isnan(value) ? sqlite3_bind_null(statement_, parameter) : sqlite3_bind_double(statement_, parameter, value);
  if (rc != SQLITE_OK) throw Error(db_.error_text());
}

void SqliteStatement::bind(int parameter, const std::string& text) {
  if (sqlite3_bind_text(statement_, parameter, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    throw Error(db_.error_text());
  }
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(db_.error_text());
}

void SqliteStatement::execute() {
  const int rc = sqlite3_step(statement_);
  sqlite3_reset(statement_);
  if (rc != SQLITE_DONE) throw Error(db_.error_text());
}

std::string SqliteStatement::text(int column) const {
  const auto* bytes = sqlite3_column_text(statement_, column);
  if (bytes == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

SqliteDatabase::SqliteDatabase(const std::string& path, Mode mode) : path_(path) {
  const int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(path + ": cannot open as an SQLite database (" + message + ")");
  }
  sqlite3_extended_result_codes(db_, 1);
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

void SqliteDatabase::execute(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw Error(path_ + ": " + text);
  }
}

void SqliteDatabase::close() {
  if (db_ == nullptr) return;
  if (sqlite3_close(db_) != SQLITE_OK) throw Error(error_text());
  db_ = nullptr;
}

std::string SqliteDatabase::error_text() const { return path_ + ": " + sqlite3_errmsg(db_); }

std::vector<std::string> sqlite_tables(const SqliteDatabase& db) {
  SqliteStatement query(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> tables;
  while (query.step()) tables.push_back(query.text(0));
  return tables;
}

std::vector<std::string> sqlite_columns(const SqliteDatabase& db, const std::string& table) {
  SqliteStatement query(db, "SELECT name FROM pragma_table_info(?)");
  query.bind(1, table);
  std::vector<std::string> columns;
  while (query.step()) columns.push_back(query.text(0));
  return columns;
}

}  // namespace nas::bench::nni
