package definitions

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Duration
		err  string
	}{
		{"30 seconds", Duration{30, "second"}, ""},
		{"1 minute", Duration{1, "minute"}, ""},
		{"4 hours", Duration{4, "hour"}, ""},
		{"3 days", Duration{3, "day"}, ""},
		{"2 weeks", Duration{2, "week"}, ""},
		{"5 business days", Duration{5, "business_day"}, ""},
		{"1 Business Day", Duration{1, "business_day"}, ""},
		{"3d", Duration{}, `invalid duration "3d": write a number and a unit, e.g. "3 days" or "2 business days"`},
		{"-1 days", Duration{}, `invalid duration "-1 days": "-1" is not a whole number between 0 and 100000`},
		{"2 months", Duration{}, `invalid duration "2 months": unit must be seconds, minutes, hours, days, weeks or business days`},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			require.EqualError(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
		require.Equal(t, tt.want, must(ParseDuration(got.String())), "String round-trips")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAddDuration(t *testing.T) {
	t.Parallel()
	p := &Program{TimeZone: "Europe/Berlin", Holidays: []string{"2027-01-06"}}
	berlin := must(time.LoadLocation("Europe/Berlin"))
	fri := time.Date(2027, 1, 1, 15, 0, 0, 0, berlin) // a Friday
	tests := []struct {
		from   time.Time
		d      Duration
		before bool
		want   time.Time
	}{
		{fri, Duration{2, "hour"}, false, fri.Add(2 * time.Hour)},
		{fri, Duration{1, "business_day"}, false, time.Date(2027, 1, 4, 15, 0, 0, 0, berlin)},
		{fri, Duration{3, "business_day"}, false, time.Date(2027, 1, 7, 15, 0, 0, 0, berlin)}, // skips the 6th
		{time.Date(2027, 1, 11, 9, 0, 0, 0, berlin), Duration{3, "business_day"}, true, time.Date(2027, 1, 5, 9, 0, 0, 0, berlin)},
		{time.Date(2027, 3, 27, 12, 0, 0, 0, berlin), Duration{1, "day"}, false, time.Date(2027, 3, 28, 12, 0, 0, 0, berlin)}, // DST
		{fri, Duration{2, "week"}, false, time.Date(2027, 1, 15, 15, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		got, err := p.AddDuration(tt.from, tt.d, tt.before)
		require.NoError(t, err)
		require.True(t, tt.want.Equal(got), "%v %v: want %v, got %v", tt.from, tt.d, tt.want, got)
	}
	_, err := (&Program{TimeZone: "Nowhere/Land"}).AddDuration(fri, Duration{1, "day"}, false)
	require.Error(t, err)
}

func TestDueAt(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `
key: due
time_zone: UTC
inputs:
  - {id: start_date, type: date}
steps:
  - id: a
    assignee: requester
    due: {before: 2 business days, from: inputs.start_date}
  - id: b
    assignee: requester
    due: {after: 1 day, from: run_start}
  - id: c
    assignee: requester
`)
	e := NewEngine()
	v := Vars{Inputs: map[string]any{"start_date": "2027-01-11"}, Run: RunVars{StartedAt: testNow}}
	due, ok, err := e.DueAt(p, p.Step("a"), testNow, v)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "2027-01-07T00:00:00Z", due.Format(time.RFC3339))
	due, _, err = e.DueAt(p, p.Step("b"), testNow.Add(time.Hour), v)
	require.NoError(t, err)
	require.Equal(t, "2027-01-05T09:30:00Z", due.Format(time.RFC3339))
	_, ok, err = e.DueAt(p, p.Step("c"), testNow, v)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestMapTrigger(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `
key: hooks
business_key: inputs.email
inputs:
  - {id: name, required: true}
  - {id: email, type: email}
triggers:
  - webhook: hired
    when: payload.event == "hired"
    inputs:
      name: payload.first + " " + payload.last
      email: headers["x-email"]
steps:
  - {id: a, assignee: requester}
`)
	e := NewEngine()
	m, err := e.MapTrigger(p, "hired", map[string]any{"event": "hired", "first": "Jane", "last": "Doe"},
		map[string]string{"x-email": "jane@example.com"})
	require.NoError(t, err)
	require.Equal(t, TriggerMapping{Inputs: map[string]any{"name": "Jane Doe", "email": "jane@example.com"}}, m,
		"the program's business key is computed from the validated inputs, not here")
	m, err = e.MapTrigger(p, "hired", map[string]any{"event": "fired"}, nil)
	require.NoError(t, err)
	require.True(t, m.Ignored)
	_, err = e.MapTrigger(p, "nope", nil, nil)
	require.Error(t, err)

	// An absent field leaves its input out; it is not an error of the mapping.
	m, err = e.MapTrigger(p, "hired", map[string]any{"event": "hired", "first": "Jane", "last": "Doe"}, nil)
	require.NoError(t, err)
	require.Equal(t, TriggerMapping{Inputs: map[string]any{"name": "Jane Doe"}}, m)
}

// TestMapTriggerAbsentAndWrong: a `when` reading an absent field does not match; an
// expression that is wrong for the delivery is an error, and every one is reported.
func TestMapTriggerAbsentAndWrong(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `
key: hooks
inputs:
  - {id: name}
  - {id: count, type: number}
triggers:
  - webhook: hired
    when: payload.kind.name == "hired"
    business_key: payload.ticket
    inputs:
      name: payload.first + " " + payload.last
      count: payload.items.size()
steps:
  - {id: a, assignee: requester}
`)
	e := NewEngine()
	m, err := e.MapTrigger(p, "hired", map[string]any{"first": "Jane"}, nil)
	require.NoError(t, err)
	require.True(t, m.Ignored, "a when that reads an absent field does not match")

	m, err = e.MapTrigger(p, "hired", map[string]any{"kind": map[string]any{"name": "hired"},
		"first": "Jane", "last": 7, "items": 3, "ticket": "T-1"}, nil)
	require.NoError(t, err)
	require.False(t, m.Ignored)
	require.Equal(t, "T-1", m.BusinessKey)
	fields := []string{}
	for _, fe := range m.Errors {
		fields = append(fields, fe.Field)
	}
	require.Equal(t, []string{"inputs.name", "inputs.count"}, fields, "every input at fault")

	m, err = e.MapTrigger(p, "hired", map[string]any{"kind": map[string]any{"name": "hired"}}, nil)
	require.NoError(t, err)
	require.Empty(t, m.Inputs, "absent fields leave their inputs out")
	require.Len(t, m.Errors, 1)
	require.Equal(t, "business_key", m.Errors[0].Field, "a business key the delivery cannot give is an error")
}
