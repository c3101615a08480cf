package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runValidate runs `handoff validate args...` with stdin and returns stdout, stderr and the error.
func runValidate(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cfg := Config{}
	root := newRoot(&cfg)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"validate"}, args...))
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	parent := write("parent.yaml", "key: parent\nsteps:\n  - id: call\n    kind: subprocess\n    definition: child\n")
	child := write("child.yaml", "key: child\nsteps:\n  - {id: a, assignee: requester}\n")

	t.Run("a subprocess target must be given alongside", func(t *testing.T) {
		_, stderr, err := runValidate(t, "", parent)
		require.Error(t, err)
		require.Contains(t, stderr, parent+`:5:17: steps[0].definition: unknown definition "child": publish it before a definition that starts it`)
		out, _, err := runValidate(t, "", parent, child)
		require.NoError(t, err)
		require.Equal(t, parent+": ok\n"+child+": ok\n", out)
		out, _, err = runValidate(t, "", "--allow-unknown-subprocess", parent)
		require.NoError(t, err)
		require.Equal(t, parent+": ok\n", out)
	})
	t.Run("- reads standard input", func(t *testing.T) {
		out, _, err := runValidate(t, "key: piped\nsteps:\n  - {id: a, assignee: requester}\n", "-")
		require.NoError(t, err)
		require.Equal(t, "<stdin>: ok\n", out)
		_, stderr, err := runValidate(t, "key: piped\nsteps:\n  - {id: a, assignee: nobody}\n", "-", child)
		require.Error(t, err)
		require.Contains(t, stderr, `<stdin>:3:23: steps[0].assignee: unknown role "nobody"`)
	})
}
