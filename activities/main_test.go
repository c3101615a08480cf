package activities

import (
	"testing"

	"github.com/handoffhq/handoff/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Run(m) }
