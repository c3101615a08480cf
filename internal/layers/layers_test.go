package layers

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/handoffhq/handoff/"

// rules says, per package, which imports it must not have: a prefix of an import path
// (packages of this module are written without the module prefix).
var rules = map[string][]string{
	// The language is pure: no Temporal, HTTP, Echo or Postgres, nothing of ours.
	"definitions": {"go.temporal.io", "github.com/labstack", "github.com/jackc", "net/http", module},
	// Workflow code is deterministic: the language only, no I/O.
	"workflows": {"github.com/labstack", "github.com/jackc", "net/http", "os", module + "activities",
		module + "api", module + "postgres", module + "outbox", module + "internal"},
	// The store knows nothing above it.
	"postgres": {"go.temporal.io", "github.com/labstack", module + "activities", module + "api",
		module + "workflows", module + "definitions"},
	"activities": {"github.com/labstack", module + "api", module + "worker", module + "cmd"},
	"api":        {module + "activities", module + "worker", module + "cmd", module + "web"},
	// The browser app is a second transport beside the API: it calls the API's code, never the reverse.
	"web":        {module + "activities", module + "worker", module + "cmd"},
	"audit":      {"github.com/labstack", "github.com/jackc", module + "api", module + "activities", module + "postgres"},
	"evidence":   {"github.com/labstack", "github.com/jackc", module + "api", module + "activities", module + "postgres"},
	"encryption": {module},
	"worker":     {module + "api", module + "postgres"},
}

func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		forbidden, ok := rules[pkg]
		if !ok {
			continue
		}
		seen[pkg] = true
		for _, imp := range fields[1:] {
			for _, f := range forbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) {
					t.Errorf("%s imports %s, which it must not (rule %q)", pkg, imp, f)
				}
			}
		}
	}
	for pkg := range rules {
		require.True(t, seen[pkg], "package %s has a rule but was not listed", pkg)
	}
}
