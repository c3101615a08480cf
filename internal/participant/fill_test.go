package participant

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
)

// TestMatching: a text made for a pattern is matched by the whole pattern, for the
// patterns of the shipped examples and some harder ones.
func TestMatching(t *testing.T) {
	for _, p := range []string{"[A-Z0-9-]{6,20}", "CC-[0-9]{4}", "V-[0-9]{5}", "[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}",
		"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", `\d+(\.\d{2})?`, "(yes|no)", "[^a-z]+", `[a-z]+@[a-z]+\.com`} {
		s, err := matching(p)
		require.NoError(t, err, p)
		require.Regexp(t, regexp.MustCompile(`^(?:`+p+`)$`), s, p)
	}
}

// TestCandidates: every candidate of a field is valid for the field, as the run's own
// validator says.
func TestCandidates(t *testing.T) {
	one, two, five := 1.0, 2.0, 5.0
	fields := []definitions.Field{
		{ID: "item", Type: definitions.TypeText, Required: true, Max: &five},
		{ID: "justification", Type: definitions.TypeLongText, Min: &five},
		{ID: "amount", Type: definitions.TypeNumber, Min: &one, Max: &five},
		{ID: "serial", Type: definitions.TypeText, Pattern: "[A-Z0-9-]{6,20}"},
		{ID: "ok", Type: definitions.TypeBoolean, Required: true},
		{ID: "on", Type: definitions.TypeDate},
		{ID: "at", Type: definitions.TypeDatetime},
		{ID: "kind", Type: definitions.TypeSelect, Options: []definitions.Option{{Value: "a"}, {Value: "b"}}},
		{ID: "tags", Type: definitions.TypeMultiSelect, Min: &two, Options: []definitions.Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}},
		{ID: "email", Type: definitions.TypeEmail},
		{ID: "site", Type: definitions.TypeURL},
		{ID: "who", Type: definitions.TypeUser},
		{ID: "doc", Type: definitions.TypeFile},
		{ID: "rows", Type: definitions.TypeTable, Min: &two, Fields: []definitions.Field{
			{ID: "qty", Type: definitions.TypeNumber, Required: true, Min: &one}}},
	}
	prog, err := definitions.Compile([]byte("key: fill\nsteps:\n  - {id: t, assignee: requester}\n"))
	require.NoError(t, err)
	f := &filler{users: []string{"alice"}, date: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	e := definitions.NewEngine()
	for _, fd := range fields {
		c := f.candidates(fd)
		require.NotEmpty(t, c, fd.ID)
		for _, v := range c {
			data := map[string]any{fd.ID: v}
			_, errs := e.ValidateForm(prog, []definitions.Field{fd}, data, definitions.Vars{Form: data})
			require.Empty(t, errs, "%s = %v", fd.ID, v)
		}
	}
}
