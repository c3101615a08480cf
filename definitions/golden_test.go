package definitions

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden .errors files of testdata/invalid")

// TestGoldenInvalid compiles every testdata/invalid/*.yaml and compares the
// complete error list with the .errors file beside it.
func TestGoldenInvalid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			p, err := Compile(src)
			require.Nil(t, p)
			require.Error(t, err, "an invalid definition compiled")
			got := err.(*ErrorList).Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".errors"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "missing golden file: run go test -run TestGoldenInvalid -update")
			require.Equal(t, string(want), got)
		})
	}
}
