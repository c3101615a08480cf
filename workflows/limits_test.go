package workflows

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

const repeatsInputs = `key: repeats
summary: "{{ inputs.t }}{{ inputs.t }}{{ inputs.t }}"
inputs:
  - {id: t, type: long_text}
steps:
  - id: a
    title: "{{ inputs.t }}{{ inputs.t }}"
    description: "{{ inputs.t }}{{ inputs.t }}{{ inputs.t }}"
    assignee: requester
`

// TestRenderedTextsClipped: from version 3 a template's output is bounded whatever it
// repeats; version 2 runs keep their unbounded texts (they replay as recorded).
func TestRenderedTextsClipped(t *testing.T) {
	long := strings.Repeat("é", 6000)
	for _, v := range []int{2, 3} {
		h, in := newHarness(t, repeatsInputs)
		in.Interpreter, in.Inputs = v, map[string]any{"t": long}
		var st RunState
		h.at(time.Second, func() { st = h.state(); h.env.CancelWorkflow() })
		_, _ = h.run(in)
		require.Len(t, st.OpenTasks, 1)
		title, desc := st.OpenTasks[0].Title, st.OpenTasks[0].Description
		if v == 2 {
			require.Equal(t, 2*len(long), len(title))
			require.Equal(t, 3*len(long), len(st.Summary))
			continue
		}
		require.Equal(t, MaxTitleRunes, utf8.RuneCountInString(title))
		require.True(t, strings.HasSuffix(title, "…"))
		require.Equal(t, MaxTitleRunes, utf8.RuneCountInString(st.Summary))
		require.Equal(t, MaxDescriptionRunes, utf8.RuneCountInString(desc))
		require.Equal(t, MaxTitleRunes, utf8.RuneCountInString(h.inbox.syncs[0].Open[0].Task.Title), "the inbox gets the clipped title")
	}
	require.Equal(t, "abc", clipRunes("abc", 3))
	require.Equal(t, "ab…", clipRunes("abcd", 3))
}
