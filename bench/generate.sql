-- Benchmark data for ttdn, in one session: run on a database that `ttdn migrate` and `ttdn seed`
-- prepared (and nothing else: a database is loaded once).
--
--   psql -v rows=1000000 -f bench/generate.sql      (rows: media entries, default 10000)
--
-- bench/run.sh runs the same three parts itself, with part 2 split over two sessions so that
-- both cores work (psql -v rows=N -v part=0|1 -v parts=2 -f bench/generate/2_media.sql).
--
-- Deterministic: no random(); every "random" choice is hashint8extended(row number, salt), so
-- the same size gives the same data on every run, ids included (md5 of a name).
-- Set-based: INSERT ... SELECT FROM generate_series, one statement per table.
--
-- What it makes:
--   * units up to 1,000 in all, under the seeded Department and its 15 district offices
--     (2023 boundaries): 9 offices of the Department, a continuing-education centre per
--     district and high schools up to 60 under the Department, and the rest preschools,
--     primary and lower-secondary schools under the district offices (kind affiliated_unit);
--   * :rows media entries with Vietnamese titles and summaries, published 2020-01-01 to
--     2023-12-31 (Hai Phong time), 15 % foreign (from a dozen outlets and countries),
--     sentiment 60/30/10 neutral/positive/negative, 2 % misinformation (a fifth of the negative
--     items), most of those answered; 40 % are about a unit; one to three topics each;
--   * the periods of 2020-2023 (ttdn_generate_periods) and reports of the units expected to
--     report in each (ttdn_expected_to_report): 85 % submitted (80 % of those by the due date,
--     70 % of them accepted), 5 % drafts, 10 % never started; every report that is not a draft
--     has five indicator values.
--
-- Bulk load (1_prepare.sql and 3_finish.sql):
--   * the row trigger that keeps media_daily_counts and media_monthly_counts is disabled during
--     the load and both rollups are built afterwards with one INSERT ... SELECT ... GROUP BY on
--     the trigger's key (Hai Phong day or month, sentiment, origin, country or '', response
--     status, misinformation); the trigger is enabled again before COMMIT, so later writes keep
--     the rollups as usual;
--   * the secondary indexes of media_entries are dropped and built again afterwards from
--     their own definitions (pg_get_indexdef), which is far faster than row-by-row upkeep;
--   * part 3 checks that the stored search documents of every unit and of 2,000 entries equal
--     what ttdn_search_text computes.
-- Parts 1 and 3 are each one transaction; the state between them is the table bench_load_state.
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 10000
\endif
\set part 0
\set parts 1
\ir generate/1_prepare.sql
\ir generate/2_media.sql
\ir generate/3_finish.sql
