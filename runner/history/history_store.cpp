#include "history/history_store.h"

#include <cstdlib>

#include "history/history_schema.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<std::string> json_text_or_null(const json& value) {
  return value.is_null() ? std::nullopt : std::optional<std::string>(value.dump());
}

json parsed_or_null(const std::optional<std::string>& text) { return text ? json::parse(*text) : json(); }

}  // namespace

fs::path default_history_path() {
  const char* env = std::getenv("POISONLAB_HISTORY");
  if (env && *env) return env;
  return fs::path("results") / "history.sqlite";
}

std::string describe(AddOutcome outcome) {
  switch (outcome) {
    case AddOutcome::added: return "added";
    case AddOutcome::already_present: return "already in history";
    case AddOutcome::updated: return "updated";
  }
  return "?";
}

HistoryStore::HistoryStore(const fs::path& file, Mode mode)
    : db_(open_history_database(file, mode == Mode::read_write)) {
  db_.execute("PRAGMA foreign_keys = ON");  // per connection: the cascades need it
}

AddOutcome HistoryStore::add(const RunRecord& run) {
  std::string digest = record_digest(run);
  Transaction transaction(db_);
  Statement existing = db_.prepare("SELECT digest FROM runs WHERE run_id = ?1");
  existing.bind(1, run.run_id);
  AddOutcome outcome = AddOutcome::added;
  if (existing.step()) {
    if (existing.text(0) == digest) return AddOutcome::already_present;  // the transaction rolls back: nothing written
    db_.prepare("DELETE FROM runs WHERE run_id = ?1").bind(1, run.run_id).run();
    outcome = AddOutcome::updated;
  }
  insert(run, digest);
  transaction.commit();
  return outcome;
}

void HistoryStore::insert(const RunRecord& run, const std::string& digest) {
  db_.prepare(R"sql(INSERT INTO runs (run_id, scenario, started_at, finished_at, status, report_path, git_sha,
                                      variants, digest, added_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))sql")
      .bind(1, run.run_id).bind(2, run.scenario).bind(3, run.started_at).bind(4, run.finished_at)
      .bind(5, run.status).bind(6, run.report_path).bind(7, run.git_sha).bind(8, json(run.variants).dump())
      .bind(9, digest).run();
  Statement cell_row = db_.prepare(R"sql(INSERT INTO cells (run_id, cell_index, variant, cell_key, cell_id, release,
                                         verdict, status, cell_file, notify_summary)
                                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql");
  Statement oracle_row = db_.prepare(
      "INSERT INTO oracles (run_id, cell_index, position, name, verdict) VALUES (?1, ?2, ?3, ?4, ?5)");
  Statement sample_row = db_.prepare(
      "INSERT INTO samples (run_id, cell_index, metric, seq, value_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const CellRecord& cell : run.cells) {
    auto index = static_cast<int64_t>(cell.index);
    cell_row.bind(1, run.run_id).bind(2, index).bind(3, cell.variant).bind(4, cell.key).bind(5, cell.id)
        .bind(6, cell.release).bind(7, cell.verdict).bind(8, cell.status).bind(9, cell.cell_file)
        .bind(10, json_text_or_null(cell.notify_summary)).run();
    for (size_t i = 0; i < cell.oracles.size(); ++i)
      oracle_row.bind(1, run.run_id).bind(2, index).bind(3, static_cast<int64_t>(i))
          .bind(4, cell.oracles[i].first).bind(5, cell.oracles[i].second).run();
    for (const auto& [metric, values] : cell.samples_ms)
      for (size_t i = 0; i < values.size(); ++i)
        sample_row.bind(1, run.run_id).bind(2, index).bind(3, metric).bind(4, static_cast<int64_t>(i))
            .bind(5, values[i]).run();
  }
  Statement series_row = db_.prepare(
      "INSERT INTO series (run_id, position, variant, name, body) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (size_t i = 0; i < run.series.size(); ++i) {
    const json& entry = run.series[i];
    auto name = entry.contains("series") && entry["series"].is_string()
                    ? std::optional<std::string>(entry["series"].get<std::string>()) : std::nullopt;
    series_row.bind(1, run.run_id).bind(2, static_cast<int64_t>(i)).bind(3, entry.value("variant", ""))
        .bind(4, name).bind(5, entry.dump()).run();
  }
}

std::vector<RunRecord> HistoryStore::runs() const {
  Statement row = db_.prepare(R"sql(SELECT run_id, scenario, started_at, finished_at, status, report_path, git_sha,
                                           variants FROM runs ORDER BY started_at, run_id)sql");
  std::vector<RunRecord> out;
  while (row.step()) out.push_back(read_run(row));
  return out;
}

RunRecord HistoryStore::read_run(Statement& row) const {
  RunRecord run;
  run.run_id = row.text(0);
  run.scenario = row.text(1);
  run.started_at = row.text(2);
  run.finished_at = row.optional_text(3);
  run.status = row.optional_text(4);
  run.report_path = row.text(5);
  run.git_sha = row.optional_text(6);
  run.variants = json::parse(row.text(7)).get<std::vector<std::string>>();
  run.cells = read_cells(run);
  Statement series = db_.prepare("SELECT body FROM series WHERE run_id = ?1 ORDER BY position");
  series.bind(1, run.run_id);
  while (series.step()) run.series.push_back(json::parse(series.text(0)));
  return run;
}

std::vector<CellRecord> HistoryStore::read_cells(const RunRecord& run) const {
  Statement row = db_.prepare(R"sql(SELECT cell_index, variant, cell_key, cell_id, release, verdict, status,
                                           cell_file, notify_summary FROM cells WHERE run_id = ?1
                                    ORDER BY cell_index)sql");
  row.bind(1, run.run_id);
  std::vector<CellRecord> cells;
  std::map<int64_t, size_t> position;  // cell_index -> position in cells
  while (row.step()) {
    CellRecord& cell = cells.emplace_back();
    cell.index = static_cast<size_t>(row.integer(0));
    cell.variant = row.text(1);
    cell.key = row.text(2);
    cell.id = row.text(3);
    cell.release = row.optional_text(4);
    cell.verdict = row.text(5);
    cell.status = row.text(6);
    cell.cell_file = row.optional_text(7);
    cell.notify_summary = parsed_or_null(row.optional_text(8));
    cell.samples_ms[kRevocationMetric];  // present even without samples, as when read from the report
    position[row.integer(0)] = cells.size() - 1;
  }
  Statement oracle = db_.prepare(
      "SELECT cell_index, name, verdict FROM oracles WHERE run_id = ?1 ORDER BY cell_index, position");
  oracle.bind(1, run.run_id);
  while (oracle.step()) cells[position.at(oracle.integer(0))].oracles.emplace_back(oracle.text(1), oracle.text(2));
  Statement sample = db_.prepare(
      "SELECT cell_index, metric, value_ms FROM samples WHERE run_id = ?1 ORDER BY cell_index, metric, seq");
  sample.bind(1, run.run_id);
  while (sample.step()) cells[position.at(sample.integer(0))].samples_ms[sample.text(1)].push_back(sample.real(2));
  return cells;
}

std::vector<CellRow> HistoryStore::cells(const CellFilter& filter, const std::string& metric) const {
  Statement row = db_.prepare(R"sql(
      SELECT c.run_id, r.started_at, r.scenario, c.variant, c.cell_key, c.cell_id, c.verdict, c.status, c.cell_index
      FROM cells c JOIN runs r ON r.run_id = c.run_id
      WHERE (?1 IS NULL OR c.variant = ?1) AND (?2 IS NULL OR r.scenario = ?2)
        AND (?3 IS NULL OR c.cell_key = ?3) AND (?4 IS NULL OR c.run_id = ?4)
      ORDER BY r.started_at, c.run_id, c.variant, c.cell_index)sql");
  row.bind(1, filter.variant).bind(2, filter.scenario).bind(3, filter.key).bind(4, filter.run_id);
  Statement sample = db_.prepare(
      "SELECT value_ms FROM samples WHERE run_id = ?1 AND cell_index = ?2 AND metric = ?3 ORDER BY seq");
  std::vector<CellRow> out;
  while (row.step()) {
    CellRow& cell = out.emplace_back();
    cell.run_id = row.text(0);
    cell.started_at = row.text(1);
    cell.scenario = row.text(2);
    cell.variant = row.text(3);
    cell.key = row.text(4);
    cell.id = row.text(5);
    cell.verdict = row.text(6);
    cell.status = row.text(7);
    sample.bind(1, cell.run_id).bind(2, row.integer(8)).bind(3, metric);
    while (sample.step()) cell.samples_ms.push_back(sample.real(0));
    sample.reset();
  }
  return out;
}

std::vector<VariantRun> HistoryStore::latest_runs(size_t count) const {
  Statement row = db_.prepare(R"sql(
      WITH variant_runs AS (
        SELECT DISTINCT c.variant, r.scenario, r.run_id, r.started_at
        FROM cells c JOIN runs r ON r.run_id = c.run_id),
      ranked AS (
        SELECT *, row_number() OVER (PARTITION BY variant, scenario ORDER BY started_at DESC, run_id DESC) AS age
        FROM variant_runs)
      SELECT variant, scenario, run_id, started_at FROM ranked WHERE age <= ?1
      ORDER BY variant, scenario, age)sql");
  row.bind(1, static_cast<int64_t>(count));
  std::vector<VariantRun> out;
  while (row.step()) out.push_back({row.text(0), row.text(1), row.text(2), row.text(3)});
  return out;
}

std::vector<std::string> HistoryStore::metrics() const {
  Statement row = db_.prepare("SELECT DISTINCT metric FROM samples ORDER BY metric");
  std::vector<std::string> out;
  while (row.step()) out.push_back(row.text(0));
  return out;
}

}  // namespace poisonlab
