package api

import (
	"net/http"
	"testing"

	must "github.com/stretchr/testify/require"
)

func TestScheduleRequestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		req   ScheduleRequest
		field string // "" means valid
	}{
		{"interval", ScheduleRequest{Definition: "hire", Interval: "15m"}, ""},
		{"cron with zone and overlap", ScheduleRequest{Definition: "hire", Cron: "0 9 * * 1", TimeZone: "Europe/Paris", Overlap: "buffer_one"}, ""},
		{"no definition", ScheduleRequest{Interval: "1h"}, "definition"},
		{"neither cron nor interval", ScheduleRequest{Definition: "hire"}, "cron"},
		{"both", ScheduleRequest{Definition: "hire", Cron: "@daily", Interval: "1h"}, "interval"},
		{"bad interval", ScheduleRequest{Definition: "hire", Interval: "often"}, "interval"},
		{"interval too short", ScheduleRequest{Definition: "hire", Interval: "10ms"}, "interval"},
		{"bad zone", ScheduleRequest{Definition: "hire", Interval: "1h", TimeZone: "Mars/Olympus"}, "time_zone"},
		{"bad overlap", ScheduleRequest{Definition: "hire", Interval: "1h", Overlap: "sometimes"}, "overlap"},
		{"bad id", ScheduleRequest{ID: "no spaces", Definition: "hire", Interval: "1h"}, "id"},
		{"negative version", ScheduleRequest{Definition: "hire", Interval: "1h", Version: -1}, "version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := tc.req.check()
			if tc.field == "" {
				must.Empty(t, errs)
				must.NotEmpty(t, tc.req.Overlap, "overlap defaults to skip")
				return
			}
			must.NotEmpty(t, errs)
			must.Equal(t, tc.field, errs[0].Field, "%+v", errs)
		})
	}
}

// TestScheduleBadInput covers what a schedule request gets wrong before Temporal is asked.
func TestScheduleBadInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ts.publish(hireDefinition)
	tests := []struct {
		name   string
		user   string
		body   any
		status int
		field  string
	}{
		{"member", "mallory", map[string]any{"definition": "hire", "interval": "1h"}, 403, ""},
		{"unknown field", "dana", map[string]any{"definition": "hire", "interval": "1h", "every": "1h"}, 422, "every"},
		{"unknown definition", "dana", map[string]any{"definition": "nope", "interval": "1h"}, 422, "definition"},
		{"unknown version", "dana", map[string]any{"definition": "hire", "version": 9, "interval": "1h"}, 422, "version"},
		{"no schedule", "dana", map[string]any{"definition": "hire"}, 422, "cron"},
		{"inputs missing", "dana", map[string]any{"definition": "hire", "interval": "1h", "inputs": map[string]any{"full_name": "J"}}, 422, "inputs.email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields := ts.do(tc.user, "POST", "/v1/schedules", tc.body, nil).problem(t, tc.status)
			if tc.field != "" {
				must.Contains(t, fields, tc.field)
			}
		})
	}
	ts.do("dana", "GET", "/v1/schedules/nope", nil, nil).problem(t, http.StatusNotFound)
	ts.do("dana", "POST", "/v1/schedules/nope/pause", nil, nil).problem(t, http.StatusNotFound)
	ts.do("dana", "POST", "/v1/schedules/nope/pause", `{"note": 5}`, nil).problem(t, http.StatusUnprocessableEntity)
	ts.do("dana", "DELETE", "/v1/schedules/nope", nil, nil).problem(t, http.StatusNotFound)
	ts.do("mallory", "GET", "/v1/schedules", nil, nil).problem(t, http.StatusForbidden)
}
