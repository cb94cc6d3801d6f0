// PQ: a thin Swift wrapper over libpq. It knows nothing of ttdn's domain.
//
// - `PQConnection`: one libpq connection plus the thread that does its blocking work.
// - `PQPool`: bounded, async, self-healing pool; `withConnection`, `withTransaction`.
// - `PQQuery`: string interpolation that binds values as `$n`.
// - `PQRows` / `PQRow`: typed decoding from the text format.
// - `PQError`: SQLSTATE-typed errors whose description carries no values.
// - `Migrator`: numbered SQL files with checksums.
