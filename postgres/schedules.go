package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// Schedule is Handoff's record of a Temporal Schedule: what it starts and the spec as it
// was asked for. Temporal holds the schedule itself and its state (paused, next times).
type Schedule struct {
	ID, Definition string
	Version        int
	// Cron or Every (a Go duration such as "1h") is set, never both.
	Cron, Every string
	TimeZone    string
	Overlap     string
	Inputs      []byte // JSON object
	CreatedBy   string
	CreatedAt   time.Time
}

// CreateSchedule stores s and calls create (which creates the Temporal Schedule) in one
// transaction: an error from create leaves nothing stored. ErrConflict when the id is taken.
func (db *DB) CreateSchedule(ctx context.Context, s Schedule, create func(context.Context) error) (Schedule, error) {
	var out Schedule
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		row, err := db.q.InsertSchedule(ctx, tx, dbsqlc.InsertScheduleParams{
			ID: s.ID, Definition: s.Definition, Version: int32(s.Version), Cron: s.Cron, Every: s.Every,
			TimeZone: s.TimeZone, Overlap: s.Overlap, Inputs: s.Inputs, CreatedBy: s.CreatedBy})
		if err != nil {
			return interpretError(err)
		}
		out = scheduleFromRow(row)
		return create(ctx)
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("create schedule %s: %w", s.ID, err)
	}
	return out, nil
}

// Schedule returns the schedule id; ErrNotFound if there is none.
func (db *DB) Schedule(ctx context.Context, id string) (Schedule, error) {
	row, err := db.q.Schedule(ctx, db.pool, id)
	if err != nil {
		return Schedule{}, fmt.Errorf("load schedule %s: %w", id, interpretError(err))
	}
	return scheduleFromRow(row), nil
}

// ListSchedules returns schedules oldest first, of one definition unless it is "".
func (db *DB) ListSchedules(ctx context.Context, definition string, limit int) ([]Schedule, error) {
	rows, err := db.q.ListSchedules(ctx, customPlans{db.pool}, dbsqlc.ListSchedulesParams{Definition: definition, Lim: int32(pageSize(limit))})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", interpretError(err))
	}
	out := make([]Schedule, 0, len(rows))
	for _, r := range rows {
		out = append(out, scheduleFromRow(r))
	}
	return out, nil
}

// DeleteSchedule removes the schedule id and calls remove (which deletes the Temporal
// Schedule) in one transaction: an error from remove keeps the record. ErrNotFound if
// there is no such schedule (remove is not called).
func (db *DB) DeleteSchedule(ctx context.Context, id string, remove func(context.Context) error) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		n, err := db.q.DeleteSchedule(ctx, tx, id)
		if err != nil {
			return interpretError(err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return remove(ctx)
	})
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", id, err)
	}
	return nil
}

func scheduleFromRow(r dbsqlc.Schedule) Schedule {
	return Schedule{ID: r.ID, Definition: r.Definition, Version: int(r.Version), Cron: r.Cron, Every: r.Every,
		TimeZone: r.TimeZone, Overlap: r.Overlap, Inputs: r.Inputs, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}
