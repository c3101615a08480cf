package definitions

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsIdent(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	for _, s := range []string{"", "a", "_", "A1", "1a", "a-b", "a b", "é", "a_b_9", "9", "_9", "a\n", "Z"} {
		require.Equal(t, re.MatchString(s), isIdent(s), s)
	}
}
