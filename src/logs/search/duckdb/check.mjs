// Counts audit log records with DuckDB straight from the archive's data/
// objects (hive-partitioned dt=YYYY-MM-DD/*.jsonl.zst), independently of
// Kura, for the cross-check test and the benchmark (docs/logs.md).
//
//   node check.mjs DATA_DIR FROM_DT TO_DT [PRINCIPAL]
//
// Prints one JSON object: {"total":N,"per_dt":{"YYYY-MM-DD":N,...},
// "principal":N} over the partitions FROM_DT..TO_DT (inclusive).
import { DuckDBInstance } from '@duckdb/node-api';

const [dataDir, fromDt, toDt, principal] = process.argv.slice(2);
if (!dataDir || !fromDt || !toDt) {
  console.error('usage: node check.mjs DATA_DIR FROM_DT TO_DT [PRINCIPAL]');
  process.exit(2);
}
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;
const source = `read_json(${quote(dataDir + '/*/*.jsonl.zst')},
    format = 'newline_delimited', hive_partitioning = true, compression = 'zstd',
    columns = {seq: 'UBIGINT', received: 'VARCHAR', principal: 'VARCHAR', event: 'VARCHAR'})`;
const where = `CAST(dt AS VARCHAR) BETWEEN ${quote(fromDt)} AND ${quote(toDt)}`;

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const rows = async (sql) => (await conn.runAndReadAll(sql)).getRows();

const out = { total: 0, per_dt: {}, principal: 0 };
for (const [dt, n] of await rows(
    `SELECT CAST(dt AS VARCHAR), count(*) FROM ${source} WHERE ${where} GROUP BY 1 ORDER BY 1`)) {
  out.per_dt[dt] = Number(n);
  out.total += Number(n);
}
if (principal !== undefined) {
  const [[n]] = await rows(
      `SELECT count(*) FROM ${source} WHERE ${where} AND principal = ${quote(principal)}`);
  out.principal = Number(n);
}
console.log(JSON.stringify(out));
