// DuckDB side of bench/logs_search_bench.sh: runs one query over Kura's own
// archive objects (hive-partitioned dt=YYYY-MM-DD/*.jsonl.zst, zstd JSON
// Lines) and prints {"seconds":S,"rows":[...]} — S is the query alone
// (DuckDB instance created and connected before the clock starts; node's
// start-up is not counted).
//
//   node duckdb_query.mjs DATA_DIR needle PRINCIPAL
//   node duckdb_query.mjs DATA_DIR group-by-event
//
// Needs @duckdb/node-api resolvable from this file's directory (the bench
// script symlinks src/logs/search/duckdb/node_modules next to a copy).
import { DuckDBInstance } from '@duckdb/node-api';

const [dataDir, kind, principal] = process.argv.slice(2);
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;
const source = (columns) => `read_json(${quote(dataDir + '/*/*.jsonl.zst')},
    format = 'newline_delimited', hive_partitioning = true, compression = 'zstd',
    columns = {${columns}})`;
let sql;
if (kind === 'needle' && principal) {
  sql = `SELECT count(*) FROM ${source("principal: 'VARCHAR'")}
         WHERE principal = ${quote(principal)}`;
} else if (kind === 'group-by-event') {
  sql = `SELECT event, count(*) AS n FROM ${source("event: 'VARCHAR'")}
         GROUP BY event ORDER BY n DESC, event`;
} else {
  console.error('usage: node duckdb_query.mjs DATA_DIR needle PRINCIPAL | group-by-event');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const start = performance.now();
const rows = (await conn.runAndReadAll(sql)).getRows();
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({
  seconds,
  rows: rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v))),
}));
