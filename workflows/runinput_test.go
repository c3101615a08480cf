package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/definitions"
)

// Inputs carrying the same program bytes share one decoded program; other bytes get
// their own, and an input without a program has none.
func TestSharedProgram(t *testing.T) {
	prog, err := definitions.Compile([]byte(twoTasks))
	require.NoError(t, err)
	b, err := json.Marshal(RunInput{Program: prog, Version: 1, Inputs: map[string]any{"employee": "Jane"}, StartedBy: "a"})
	require.NoError(t, err)
	var one, two RunInput
	require.NoError(t, json.Unmarshal(b, &one))
	b2, err := json.Marshal(RunInput{Program: prog, Version: 1, Inputs: map[string]any{"employee": "Joe"}, StartedBy: "b"})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b2, &two))
	require.Same(t, one.Program, two.Program, "one decoded program for the same bytes")
	require.Equal(t, prog, one.Program)
	require.Equal(t, "Joe", two.Inputs["employee"])
	require.Equal(t, "b", two.StartedBy)

	other := *prog
	other.Name = "Another"
	b3, err := json.Marshal(RunInput{Program: &other})
	require.NoError(t, err)
	var three RunInput
	require.NoError(t, json.Unmarshal(b3, &three))
	require.NotSame(t, one.Program, three.Program)
	require.Equal(t, "Another", three.Program.Name)

	var none RunInput
	require.NoError(t, json.Unmarshal([]byte(`{"version":2,"program":null}`), &none))
	require.Nil(t, none.Program)
	require.Equal(t, 2, none.Version)
	require.Error(t, json.Unmarshal([]byte(`{"program":{"steps":7}}`), &none))
}

// TestRunsOnlyReadTheirProgram replays every history of the corpus (every step kind,
// every interpreter version) with its program held shared, and checks that the program
// is the same after the run as before: a run that changed its program would change it
// for every other run of the definition on the worker.
func TestRunsOnlyReadTheirProgram(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	for _, h := range corpus(t) {
		t.Run(filepath.Base(filepath.Dir(h.file))+"/"+filepath.Base(h.file), func(t *testing.T) {
			f, err := os.Open(h.file)
			require.NoError(t, err)
			hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			require.NoError(t, f.Close())
			require.NoError(t, err)
			input := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
			var in RunInput
			require.NoError(t, dc.FromPayloads(input, &in))
			require.NotNil(t, in.Program)
			before, err := json.Marshal(in.Program)
			require.NoError(t, err)

			require.NoError(t, replay(t, NewInterpreter(definitions.NewEngine()).Run, h.file, h.exec))

			var again RunInput
			require.NoError(t, dc.FromPayloads(input, &again))
			require.Same(t, in.Program, again.Program, "the replay decoded the program held")
			after, err := json.Marshal(in.Program)
			require.NoError(t, err)
			require.JSONEq(t, string(before), string(after), "the run changed its program")
		})
	}
}
