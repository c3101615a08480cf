package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// Report is what one definition's runs and tasks did in a time window, computed over
// the projection.
type Report struct {
	Runs      RunCounts
	CycleTime Percentiles // of runs that completed
	Steps     []StepReport
}

// RunCounts counts the runs started in the window by how they stand now.
type RunCounts struct {
	Started, Running, Completed, Failed, Cancelled int
}

// Percentiles are in seconds; nil when there was nothing to measure.
type Percentiles struct {
	P50, P90 *float64
}

// StepReport is one step's tasks created in the window.
type StepReport struct {
	Step string
	// Tasks counts the step's tasks (fix-it tasks excluded), Completed those completed.
	Tasks, Completed int
	// Wait is completed_at − created_at of the completed tasks.
	Wait Percentiles
	// Overdue counts tasks completed after their due date or open past it.
	Overdue int
	// Rework counts tasks beyond the first of each run (rounds after a send-back).
	Rework int
	// Exceptions counts fix-it tasks opened because the step's automation failed.
	Exceptions int
	// Rejected counts approval tasks decided "rejected".
	Rejected int
}

// ReportWindow selects what a report covers: runs started and tasks created in
// [From, To) of one definition; Now decides which open tasks are overdue.
type ReportWindow struct {
	Definition string
	From, To   time.Time
	Now        time.Time
}

// DefinitionReport computes the report of a definition over a window.
func (db *DB) DefinitionReport(ctx context.Context, w ReportWindow) (Report, error) {
	return db.definitionReport(ctx, db.pool, w)
}

func (db *DB) definitionReport(ctx context.Context, dbtx dbsqlc.DBTX, w ReportWindow) (Report, error) {
	runs, err := db.q.ReportRuns(ctx, customPlans{dbtx}, dbsqlc.ReportRunsParams{Definition: w.Definition, FromTime: w.From, ToTime: w.To})
	if err != nil {
		return Report{}, fmt.Errorf("report runs of %s: %w", w.Definition, interpretError(err))
	}
	steps, err := db.q.ReportSteps(ctx, customPlans{dbtx}, dbsqlc.ReportStepsParams{Definition: w.Definition, FromTime: w.From, ToTime: w.To, Now: w.Now})
	if err != nil {
		return Report{}, fmt.Errorf("report steps of %s: %w", w.Definition, interpretError(err))
	}
	r := Report{
		Runs: RunCounts{Started: int(runs.Started), Completed: int(runs.Completed), Failed: int(runs.Failed),
			Cancelled: int(runs.Cancelled)},
		CycleTime: percentiles(runs.Completed, runs.CycleP50, runs.CycleP90),
		Steps:     make([]StepReport, 0, len(steps)),
	}
	r.Runs.Running = r.Runs.Started - r.Runs.Completed - r.Runs.Failed - r.Runs.Cancelled
	for _, s := range steps {
		r.Steps = append(r.Steps, StepReport{
			Step: s.StepID, Tasks: int(s.Tasks), Completed: int(s.Completed),
			Wait:    percentiles(s.Completed, s.WaitP50, s.WaitP90),
			Overdue: int(s.Overdue), Rework: int(s.Rework), Exceptions: int(s.Exceptions), Rejected: int(s.Rejected),
		})
	}
	return r, nil
}

// percentiles keeps the values only when something was measured (the query answers 0 otherwise).
func percentiles(n int64, p50, p90 float64) Percentiles {
	if n == 0 {
		return Percentiles{}
	}
	return Percentiles{P50: &p50, P90: &p90}
}
