package devstack

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// cliPath installs the CLI into the repository's .bin when missing.
func cliPath(ctx context.Context, t testing.TB) string {
	t.Helper()
	path, err := EnsureTemporalCLI(ctx, filepath.Join("..", "..", ".bin"), os.Stderr)
	require.NoError(t, err)
	return path
}

func TestStartTemporal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cli := cliPath(ctx, t)

	began := time.Now()
	tmp, err := StartTemporal(ctx, TemporalOptions{
		CLIPath:          cli,
		SearchAttributes: HandoffSearchAttributes,
		Log:              testLog(t),
	})
	require.NoError(t, err)
	t.Logf("in-memory dev server ready in %s", time.Since(began))
	t.Cleanup(func() { _ = tmp.Stop() })
	require.Equal(t, "default", tmp.Namespace)
	require.Empty(t, tmp.UIURL)

	_, err = tmp.Client().WorkflowService().DescribeNamespace(ctx,
		&workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	resp, err := tmp.Client().OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	want := map[string]enumspb.IndexedValueType{}
	for _, sa := range HandoffSearchAttributes {
		want[sa.Name] = enumspb.IndexedValueType(enumspb.IndexedValueType_value["INDEXED_VALUE_TYPE_"+screaming(sa.Type)])
	}
	for name, typ := range want {
		require.Equal(t, typ, resp.CustomAttributes[name], "search attribute %s", name)
	}

	require.NoError(t, tmp.Stop())
	require.NoError(t, tmp.Stop(), "Stop is idempotent")
}

func TestStartTemporalFileBackedWithUI(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cli := cliPath(ctx, t)
	uiPort, err := freePort()
	require.NoError(t, err)
	dbFile := filepath.Join(t.TempDir(), "temporal.db")

	tmp, err := StartTemporal(ctx, TemporalOptions{
		CLIPath:   cli,
		DBFile:    dbFile,
		UIPort:    uiPort,
		Namespace: "handoff",
		Log:       testLog(t),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tmp.Stop() })
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(uiPort), tmp.UIURL)
	_, err = tmp.Client().WorkflowService().DescribeNamespace(ctx,
		&workflowservice.DescribeNamespaceRequest{Namespace: "handoff"})
	require.NoError(t, err)
	require.FileExists(t, dbFile)

	require.Eventually(t, func() bool {
		resp, err := http.Get(tmp.UIURL)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "web UI never answered")
	require.NoError(t, tmp.Stop())
}

func TestStartTemporalNeedsCLI(t *testing.T) {
	t.Parallel()
	_, err := StartTemporal(context.Background(), TemporalOptions{})
	require.ErrorContains(t, err, "CLIPath")
}

// screaming turns "KeywordList" into "KEYWORD_LIST".
func screaming(s string) string {
	var out []byte
	for i, r := range []byte(s) {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				out = append(out, '_')
			}
			out = append(out, r)
		} else {
			out = append(out, r-'a'+'A')
		}
	}
	return string(out)
}

func TestDevServerArgs(t *testing.T) {
	t.Parallel()
	args, err := DevServerArgs(TemporalOptions{HostPort: "127.0.0.1:7999", DBFile: "/tmp/t.db",
		SearchAttributes: HandoffSearchAttributes[:1]})
	require.NoError(t, err)
	line := strings.Join(args, " ")
	require.True(t, strings.HasPrefix(line, "server start-dev --ip 127.0.0.1 --port 7999 --namespace default"), line)
	for _, want := range append(tunedDevServerArgs, "--headless", "--db-filename /tmp/t.db",
		"--sqlite-pragma journal_mode=wal", "--search-attribute HandoffDefinition=Keyword") {
		require.Contains(t, line, want)
	}
	_, err = DevServerArgs(TemporalOptions{})
	require.Error(t, err, "the address is required")
}
