package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// histories are the recorded histories of one scenario's runs, per form, for R7.
type histories struct {
	a, b []recordedRun
}

// recordedRun is a closed run's history and its workflow id, which replay needs: the
// workflow code derives task ids from it.
type recordedRun struct {
	id string
	h  *historypb.History
}

// measureR1 runs every scenario to its end in both forms, alternating, and counts the
// history events and state transitions DescribeWorkflow reports.
func (b *bencher) measureR1(ctx context.Context) ([]Figure, map[string]*histories, error) {
	var figs []Figure
	recorded := map[string]*histories{}
	for _, name := range []string{"linear", "decision", "fanout", "timer", "http"} {
		sc := b.scenarios[name]
		events := Figure{ID: "R1." + name, Name: "history events per run", Target: "ratio ≤ 1.05", check: ratioAtMost(1.05)}
		trans := Figure{ID: "R1." + name + ".st", Name: "state transitions per run", Target: "ratio ≤ 1.05", check: ratioAtMost(1.05)}
		h := &histories{}
		types := map[side][]string{}
		size := map[side]int64{}
		for rep := range b.reps(2) {
			for _, sd := range []side{interpreted, handWritten} {
				id, _, err := b.d.drive(ctx, sc, sd, "owner")
				if err != nil {
					return nil, nil, fmt.Errorf("R1 %s: %w", name, err)
				}
				if err := b.s.tc.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
					return nil, nil, fmt.Errorf("R1 %s: run %s: %w", name, id, err)
				}
				desc, err := b.s.tc.DescribeWorkflow(ctx, id, "")
				if err != nil {
					return nil, nil, fmt.Errorf("R1 %s: describe %s: %w", name, id, err)
				}
				info := desc.RawResponse.GetWorkflowExecutionInfo()
				hist, err := b.history(ctx, id)
				if err != nil {
					return nil, nil, err
				}
				if sd == interpreted {
					events.A = append(events.A, float64(info.GetHistoryLength()))
					trans.A = append(trans.A, float64(info.GetStateTransitionCount()))
					h.a = append(h.a, recordedRun{id, hist})
				} else {
					events.B = append(events.B, float64(info.GetHistoryLength()))
					trans.B = append(trans.B, float64(info.GetStateTransitionCount()))
					h.b = append(h.b, recordedRun{id, hist})
				}
				if rep == 0 {
					types[sd], size[sd] = eventTypes(hist), info.GetHistorySizeBytes()
					if err := b.saveHistory(id, hist); err != nil {
						return nil, nil, err
					}
				}
			}
		}
		events.Note = fmt.Sprintf("history bytes %d vs %d", size[interpreted], size[handWritten])
		if d := eventDiff(types[interpreted], types[handWritten]); d != "" {
			events.Note += "; " + d
		}
		recorded[name] = h
		figs = append(figs, events, trans)
		b.logf("R1 %-8s events %v vs %v, state transitions %v vs %v", name, events.A, events.B, trans.A, trans.B)
	}
	return figs, recorded, nil
}

// history fetches a closed run's full history.
func (b *bencher) history(ctx context.Context, id string) (*historypb.History, error) {
	it := b.s.tc.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", id, err)
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// saveHistory writes a history as JSON into BENCH_HISTORIES, when set, for inspection
// (e.g. `temporal workflow show --input-file`).
func (b *bencher) saveHistory(id string, h *historypb.History) error {
	if b.cfg.HistoryDir == "" {
		return nil
	}
	raw, err := protojson.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode history of %s: %w", id, err)
	}
	if err := os.MkdirAll(b.cfg.HistoryDir, 0o755); err != nil {
		return fmt.Errorf("save history of %s: %w", id, err)
	}
	return os.WriteFile(filepath.Join(b.cfg.HistoryDir, id+".json"), raw, 0o644)
}

func eventTypes(h *historypb.History) []string {
	out := make([]string, 0, len(h.GetEvents()))
	for _, e := range h.GetEvents() {
		out = append(out, strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_"))
	}
	return out
}

// eventDiff says which event types one history has more of than the other.
func eventDiff(a, b []string) string {
	count := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var keys []string
	for k := range ca {
		keys = append(keys, k)
	}
	for k := range cb {
		if _, ok := ca[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diffs []string
	for _, k := range keys {
		if d := ca[k] - cb[k]; d != 0 {
			diffs = append(diffs, fmt.Sprintf("%+d %s", d, k))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return "interpreted vs hand-written: " + strings.Join(diffs, ", ")
}

// ratioAtMost passes when the median ratio is at most limit.
func ratioAtMost(limit float64) func(a, r float64) bool {
	return func(_, r float64) bool { return r <= limit }
}
