// The per-user features of `churn features` at one cutoff, computed by
// DuckDB from a CDNOW-shaped CSV (customer_id,date,number_of_cds,
// dollar_value, date as YYYYMMDD), for bench/scale.py.
//
//   node scale_duckdb.mjs CSV OUTPUT CUTOFF HORIZON_DAYS THREADS
//
// Rows equal in user, day and value are counted once, as churn ingest
// drops them. Writes OUTPUT as CSV and prints one JSON line with the
// users, the churned users, the sum of frequency, the seconds and the
// DuckDB version.
import { DuckDBInstance, version } from '@duckdb/node-api';

const [csv, output, cutoff, horizon, threads] = process.argv.slice(2);
if (!threads) {
  console.error('usage: node scale_duckdb.mjs CSV OUTPUT CUTOFF HORIZON_DAYS THREADS');
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const C = `DATE ${quote(cutoff)}`;
const H = Number.parseInt(horizon, 10);

// Day windows as churn features defines them for a day-resolution log:
// observed means on or before the cutoff day, the recent window is the
// 30 days up to and including it, the label window the H days after it.
const query = `
WITH ev AS (
  SELECT DISTINCT customer_id AS u,
         strptime(date, '%Y%m%d')::DATE AS d, dollar_value AS v
  FROM read_csv(${quote(csv)}, header = true, columns = {
    'customer_id': 'VARCHAR', 'date': 'VARCHAR',
    'number_of_cds': 'INTEGER', 'dollar_value': 'DOUBLE'})
),
obs AS (SELECT * FROM ev WHERE d <= ${C}),
days AS (
  SELECT u, d, d - lag(d) OVER (PARTITION BY u ORDER BY d) AS gap
  FROM (SELECT DISTINCT u, d FROM obs)
),
per_day AS (
  SELECT u, count(*) AS active_days, coalesce(max(gap), 0) AS max_gap,
         min(d) AS first_d, max(d) AS last_d
  FROM days GROUP BY u
),
agg AS (
  SELECT u, count(*) AS frequency, sum(v) AS monetary, max(v) AS max_value,
         count(*) FILTER (WHERE d > ${C} - 30) AS recent,
         count(*) FILTER (WHERE d > ${C} - 60 AND d <= ${C} - 30) AS previous,
         coalesce(sum(v) FILTER (WHERE d > ${C} - 30), 0) AS recent_value
  FROM obs GROUP BY u
),
seen AS (SELECT DISTINCT u FROM ev WHERE d > ${C} AND d <= ${C} + ${H})
SELECT a.u AS user_id, CASE WHEN s.u IS NULL THEN 1 ELSE 0 END AS label,
       ${C} - p.last_d AS recency_days, a.frequency, a.monetary,
       p.active_days, ${C} - p.first_d AS tenure_days,
       CASE WHEN p.active_days > 1
            THEN (p.last_d - p.first_d) / (p.active_days - 1) ELSE 0 END
         AS mean_gap_days,
       p.max_gap AS max_gap_days, a.recent AS recent_events,
       a.previous AS previous_events,
       (a.recent + 1) / (a.previous + 1) AS activity_ratio,
       a.monetary / a.frequency AS avg_value,
       a.frequency / p.active_days AS events_per_active_day,
       a.recent_value, a.max_value
FROM agg a JOIN per_day p USING (u) LEFT JOIN seen s USING (u)`;

const start = process.hrtime.bigint();
const instance = await DuckDBInstance.create(':memory:', { threads });
const connection = await instance.connect();
await connection.run(`COPY (${query}) TO ${quote(output)} (HEADER)`);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

const check = await connection.runAndReadAll(`
  SELECT count(*)::BIGINT, sum(label)::BIGINT, sum(frequency)::BIGINT
  FROM read_csv(${quote(output)}, header = true)`);
const [users, churned, frequency] = check.getRows()[0];
console.log(JSON.stringify({
  users: Number(users), churned: Number(churned),
  frequency: Number(frequency), seconds, version: version(),
}));
