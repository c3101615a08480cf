package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { Run(m, func() error { return goleak.Find() }) }

func TestTemporal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tmp := Temporal(t)
	require.Same(t, tmp, Temporal(t), "one server per package")

	_, err := tmp.Client().WorkflowService().DescribeNamespace(ctx,
		&workflowservice.DescribeNamespaceRequest{Namespace: tmp.Namespace})
	require.NoError(t, err)
	resp, err := tmp.Client().OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: tmp.Namespace})
	require.NoError(t, err)
	require.Len(t, SearchAttributes, 6)
	for _, sa := range SearchAttributes {
		require.Contains(t, resp.CustomAttributes, sa.Name)
	}
}

func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var first string
	outer := t
	t.Run("fresh database", func(t *testing.T) {
		first = DatabaseURL(t)
		second := DatabaseURL(t)
		require.NotEqual(t, first, second)

		conn, err := pgx.Connect(ctx, first)
		require.NoError(t, err)
		// Still open when the subtest drops its databases: WITH (FORCE)
		// must end it.
		outer.Cleanup(func() { _ = conn.Close(context.Background()) })
		var tables int
		require.NoError(t, conn.QueryRow(ctx,
			"select count(*) from information_schema.tables where table_schema = 'public'").Scan(&tables))
		require.Zero(t, tables, "database is not empty")
		_, err = conn.Exec(ctx, "create table t (id int primary key)")
		require.NoError(t, err)
	})

	// The databases are dropped when the subtest ends.
	other := DatabaseURL(t)
	name := databaseName(t, first)
	conn, err := pgx.Connect(ctx, other)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var exists bool
	require.NoError(t, conn.QueryRow(ctx,
		"select exists (select 1 from pg_database where datname = $1)", name).Scan(&exists))
	require.False(t, exists, "database %s still exists after its test ended", name)
}

func databaseName(t testing.TB, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	return cfg.Database
}
