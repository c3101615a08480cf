package devstack

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	require.Equal(t, "devstack", filepath.Base(mustGetwd(t)), "found from a subfolder")
}

func TestMachine(t *testing.T) {
	m := Machine()
	require.Contains(t, m, strconv.Itoa(runtime.NumCPU())+" cores")
	require.True(t, strings.Contains(m, runtime.Version()), m)
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return wd
}
