package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPublishExamplesInAnyOrder publishes the shipped examples with every file name in
// reverse order, so vendor-risk-review comes before the vendor-onboarding it starts: each
// is published all the same, as `handoff dev` does.
func TestPublishExamplesInAnyOrder(t *testing.T) {
	s := newStack(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "definitions", "examples", "*.yaml"))
	require.NoError(t, err)
	slices.Reverse(files)
	require.Equal(t, "vendor-risk-review.yaml", filepath.Base(files[0]))
	var out bytes.Buffer
	publishAll(context.Background(), s.main.DB, files, &out)
	require.NotContains(t, out.String(), "not published")
	defs, err := s.main.DB.ListDefinitions(context.Background())
	require.NoError(t, err)
	var keys []string
	for _, d := range defs {
		keys = append(keys, d.Key)
	}
	require.Equal(t, []string{"content-approval", "employee-onboarding", "purchase-approval", "vendor-onboarding", "vendor-risk-review"}, keys)
	require.Contains(t, out.String(), "published vendor-risk-review v1")
}
