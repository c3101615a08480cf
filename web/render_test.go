package web

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Every page's template set parses, with the layout and the shared partials.
func TestPagesParse(t *testing.T) {
	p, err := parsePages()
	require.NoError(t, err)
	for _, name := range []string{"inbox", "task", "run", "start", "startlist", "error", "signin"} {
		require.Contains(t, p.sets, name)
		require.NotNil(t, p.sets[name].Lookup("form-fields"), name)
	}
}
