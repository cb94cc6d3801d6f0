-- Helpers of the generator, in pg_temp (they vanish with the session). Included by each part.

-- A uniform number in [0, 1) from a row number and a salt; the same inputs give the same number.
CREATE OR REPLACE FUNCTION pg_temp.u(i bigint, salt bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (hashint8extended(i, salt) & 2147483647)::double precision / 2147483648.0;

-- An element of a (1-based) text array, chosen by u(i, salt).
CREATE OR REPLACE FUNCTION pg_temp.pick(a text[], i bigint, salt bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN a[1 + floor(pg_temp.u(i, salt) * cardinality(a))::int];

-- A stable uuid for a name (no colons in names: pgbench would read ":word" as a variable).
CREATE OR REPLACE FUNCTION pg_temp.uid(name text) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN md5('ttdn-bench/' || name)::uuid;

SET client_min_messages = warning;
SET jit = off;                          -- compiling the big INSERTs cost more than it saved
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SET max_parallel_maintenance_workers = 2;
