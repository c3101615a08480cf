// Package postgres is Handoff's store: a pgx connection pool, the embedded
// schema migrations, and the queries behind definitions, the directory, and
// the run and task projections.
//
// SQL lives in queries/*.sql and migrations/*.sql and is compiled by sqlc
// (see sqlc.yaml) into internal/dbsqlc. Generated rows never leave this
// package: every method converts them into the exported types here, and
// database errors pass through interpretError, which maps a missing row to
// ErrNotFound and a unique violation to ErrConflict.
package postgres

//go:generate ../.bin/sqlc generate -f sqlc.yaml
