package participant

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Explore walks a definition along the seed paths, then along new paths until every
// option of every choice point reached has been taken in some walk: for each option not
// taken yet, a path that makes the same choices up to that point and then takes it.
// Walks of one round run concurrently (at most parallel at once); the rounds, and the
// order of the walks they return, are deterministic.
func (d *Driver) Explore(ctx context.Context, definition string, seeds []Path, parallel int) ([]*Walk, error) {
	if len(seeds) == 0 {
		seeds = []Path{{}}
	}
	covered := map[string]bool{}
	var all []*Walk
	next := seeds
	for len(next) > 0 {
		walks := make([]*Walk, len(next))
		errs := make([]error, len(next))
		sem := make(chan struct{}, max(parallel, 1))
		var wg sync.WaitGroup
		for i, p := range next {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				walks[i], errs[i] = d.Walk(ctx, definition, p)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return append(all, walks...), err
			}
		}
		next = nil
		for _, w := range walks {
			for i, pt := range w.Points {
				covered[pt.Key+"="+pt.Taken] = true
				for _, o := range pt.Options {
					if covered[pt.Key+"="+o] {
						continue
					}
					covered[pt.Key+"="+o] = true
					choices := map[string]string{}
					for _, before := range w.Points[:i] {
						choices[before.Key] = before.Taken
					}
					choices[pt.Key] = o
					next = append(next, Path{Inputs: w.Path.Inputs, Choices: choices})
				}
			}
		}
		all = append(all, walks...)
	}
	return all, nil
}

// describe names a walk's path: its fixed inputs, and every choice that was not a
// point's first option, in the order they were made.
func describe(w *Walk) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(w.Path.Inputs)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, w.Path.Inputs[k]))
	}
	for _, p := range w.Points {
		if p.Taken != p.Options[0] {
			parts = append(parts, strings.TrimPrefix(p.Key, w.Definition+":")+"="+p.Taken)
		}
	}
	if len(parts) == 0 {
		return "(first choices)"
	}
	return strings.Join(parts, " ")
}

// Summary is a walk in one line: its path and how the run ended.
func Summary(w *Walk) string {
	end := w.Status
	if w.Outcome != "" {
		end += " " + w.Outcome
	}
	return describe(w) + " → " + end
}

// Summaries are the walks' lines, sorted.
func Summaries(walks []*Walk) []string {
	out := make([]string, 0, len(walks))
	for _, w := range walks {
		out = append(out, Summary(w))
	}
	sort.Strings(out)
	return out
}
