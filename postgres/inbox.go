package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// InboxWrite is one change of a run's projection and the notifications it causes,
// written in one transaction: the run row, tasks closed, tasks opened, then emails and
// subscription events queued against the rows just written. Every part is idempotent,
// so a retried write converges on the same rows and queues nothing twice.
//
// A write with Sync (runs of interpreter version 3) is ordered and carries the run's
// whole projected state: the run row, the tasks it closes, the tasks it opens or
// reassigns (Open, which notify) and every other open task of the run (Held). It is
// written as that state, whatever the rows hold, because they may hold what a write
// made in a workflow task that Temporal then discarded (docs/reliability.md, "Racing
// completions"): closed and open tasks are overwritten, the run's open tasks it does
// not name are deleted, and so are the deliveries that discarded writes at its number
// or later had queued. A write whose fence is behind the run row's is from such a
// discarded task itself, arriving late: WriteInbox drops it and returns ErrSuperseded.
type InboxWrite struct {
	Run    *Run
	Close  []Task
	Open   []Task
	Held   []Task
	Emails []TaskEmail
	Events []OutboundEvent
	Sync   *SyncPoint
	// Whole (ordered writes) says the write names every task of the run, closed ones
	// too, as a rebuild from the history does: the run's other tasks (created since the
	// run started) are deleted.
	Whole bool
}

// SyncPoint names an ordered write.
type SyncPoint struct {
	// Seq numbers the run's writes. Numbers only grow, from one run of an id to the
	// next too.
	Seq int64
	// Fence and FenceAt say how far the run's history had got when the write was made
	// (its execution and history length, then the start of its workflow task): a write
	// from a workflow task that Temporal discarded is behind the true writes made after.
	Fence   int64
	FenceAt time.Time
	// Write is the write's own random id; the run's history keeps the id of the write
	// that counted.
	Write string
}

// ErrSuperseded is returned by WriteInbox for an ordered write that is behind the one
// the projection holds: it came from a discarded workflow task and changed nothing.
var ErrSuperseded = errors.New("the projection holds a later write of the run")

// TaskEmail queues an email about a task to the users that Users, Groups (their
// members) and ManagerOf (those users' managers) name; users without an email address
// are skipped. Each recipient's delivery has the dedupe key Key + "/" + user id.
type TaskEmail struct {
	Key                      string
	Event                    string // e.g. "task.assigned", "task.reminder"
	TaskID                   string
	Users, Groups, ManagerOf []string
}

// OutboundEvent queues an event for every enabled subscription to its Type, with the
// run RunID and the task TaskID (either may be empty) as the projection holds them.
// Each subscription's delivery has the dedupe key subscription id + "/" + Key. Events
// are numbered per run in the order queued.
type OutboundEvent struct {
	Type, Key     string
	RunID, TaskID string
	At            time.Time
	StepID, Error string // for step.failed
}

// WriteInbox applies w in one transaction: the statements go out as one pipelined batch.
func (db *DB) WriteInbox(ctx context.Context, w InboxWrite) error {
	b := &batch{}
	var unchanged []Task
	if w.Sync != nil {
		if err := db.queueState(ctx, b, w); err != nil {
			return fmt.Errorf("write inbox: %w", err)
		}
	} else if err := db.queueChanges(ctx, b, w, &unchanged); err != nil {
		return fmt.Errorf("write inbox: %w", err)
	}
	if len(w.Emails) > 0 {
		p := taskEmailParams(w.Emails)
		p.SyncSeq, p.SyncWrite = syncTags(w.Sync)
		_ = db.q.EnqueueTaskEmails(ctx, b, p)
		b.as("queue task emails", nil)
	}
	if len(w.Events) > 0 {
		p := eventParams(w.Events)
		p.SyncSeq, p.SyncWrite = syncTags(w.Sync)
		_ = db.q.EnqueueEvents(ctx, b, p)
		b.as("queue events", nil)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := b.send(ctx, tx); err != nil {
			return err
		}
		// A close that changed no row (a retry) is explained in the same transaction.
		for _, t := range unchanged {
			if err := db.checkClosed(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case err == nil, errors.Is(err, ErrSuperseded):
		return err
	case errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound): // from the batch, already read
		return fmt.Errorf("write inbox: %w", err)
	}
	return fmt.Errorf("write inbox: %w", interpretError(err))
}

// queueChanges queues a write of a run of interpreter version 1 or 2: the run row when
// given, closes of open tasks (a close that changes no row goes to unchanged), opens.
func (db *DB) queueChanges(ctx context.Context, b *batch, w InboxWrite, unchanged *[]Task) error {
	if w.Run != nil {
		if err := db.upsertRun(ctx, b, *w.Run); err != nil {
			return err
		}
		b.as("upsert run "+w.Run.ID, nil)
	}
	for _, t := range w.Close {
		p, err := closeParams(t)
		if err != nil {
			return err
		}
		_, _ = db.q.CloseTask(ctx, b, p) // queued: cannot fail here
		b.as("close task "+t.ID, func(ct pgconn.CommandTag) error {
			if ct.RowsAffected() != 1 {
				*unchanged = append(*unchanged, t)
			}
			return nil
		})
	}
	for _, t := range w.Open {
		if err := db.openTask(ctx, b, t); err != nil {
			return err
		}
		b.as("open task "+t.ID, nil)
	}
	return nil
}

// queueState queues an ordered write: the run row first (its row lock orders the run's
// writes, and a fence behind the row's fails the batch with ErrSuperseded), then the
// deliveries and open tasks of discarded writes deleted, then every task it carries.
func (db *DB) queueState(ctx context.Context, b *batch, w InboxWrite) error {
	if w.Run == nil {
		return errors.New("an ordered write must carry the run")
	}
	r, sp := *w.Run, *w.Sync
	_, _ = db.q.PutRun(ctx, b, dbsqlc.PutRunParams{
		ID: r.ID, Definition: r.Definition, Version: int32(r.Version), Status: r.Status,
		BusinessKey: r.BusinessKey, Summary: r.Summary, StartedBy: r.StartedBy, StartedAt: r.StartedAt,
		CompletedAt: r.CompletedAt, SyncSeq: sp.Seq, SyncFence: sp.Fence, SyncFenceAt: sp.FenceAt,
	})
	b.as("write run "+r.ID, func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() == 0 {
			return ErrSuperseded
		}
		return nil
	})
	_ = db.q.DeleteDiscardedDeliveries(ctx, b, dbsqlc.DeleteDiscardedDeliveriesParams{
		RunID: r.ID, SyncSeq: sp.Seq, SyncWrite: sp.Write})
	b.as("delete discarded deliveries", nil)
	keep := make([]string, 0, len(w.Close)+len(w.Open)+len(w.Held))
	for _, ts := range [][]Task{w.Close, w.Open, w.Held} {
		for _, t := range ts {
			keep = append(keep, t.ID)
		}
	}
	if w.Whole {
		_ = db.q.DeleteTasksExcept(ctx, b, dbsqlc.DeleteTasksExceptParams{RunID: r.ID, Since: r.StartedAt, Keep: keep})
	} else {
		_ = db.q.DeleteStrayTasks(ctx, b, dbsqlc.DeleteStrayTasksParams{RunID: r.ID, Keep: keep})
	}
	b.as("delete stray tasks", nil)
	for _, ts := range [][]Task{w.Close, w.Open, w.Held} {
		for _, t := range ts {
			p, err := putParams(t, sp.Seq)
			if err != nil {
				return err
			}
			_ = db.q.PutTask(ctx, b, p)
			b.as("write task "+t.ID, nil)
		}
	}
	return nil
}

// putParams are the PutTask parameters of t as an ordered write at seq has it.
func putParams(t Task, seq int64) (dbsqlc.PutTaskParams, error) {
	switch t.Status {
	case "open", "completed", "cancelled":
	default:
		return dbsqlc.PutTaskParams{}, fmt.Errorf("write task %s: status %q is not open, completed or cancelled", t.ID, t.Status)
	}
	if t.CreatedAt.IsZero() {
		return dbsqlc.PutTaskParams{}, fmt.Errorf("write task %s: it has no creation time", t.ID)
	}
	kind, form := t.Kind, []byte(t.Form)
	if kind == "" {
		kind = "task"
	}
	if len(form) == 0 {
		form = []byte("[]")
	}
	var data []byte
	if len(t.Data) > 0 {
		data = t.Data
	}
	return dbsqlc.PutTaskParams{
		ID: t.ID, RunID: t.RunID, StepID: t.StepID, Definition: t.Definition, Title: t.Title,
		Description: t.Description, Kind: kind, Status: t.Status, Assignees: nonNil(t.Assignees),
		CandidateGroups: nonNil(t.CandidateGroups), ClaimedBy: t.ClaimedBy, DueAt: t.DueAt, Form: form,
		Outcome: t.Outcome, Data: data, Comment: t.Comment, CompletedBy: t.CompletedBy,
		CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt, SyncSeq: seq,
	}, nil
}

// syncTags are what a delivery records of the write that queued it.
func syncTags(sp *SyncPoint) (int64, string) {
	if sp == nil {
		return 0, ""
	}
	return sp.Seq, sp.Write
}

// taskEmailParams flattens emails into one row per principal.
func taskEmailParams(emails []TaskEmail) dbsqlc.EnqueueTaskEmailsParams {
	var p dbsqlc.EnqueueTaskEmailsParams
	add := func(e TaskEmail, kind string, names []string) {
		for _, n := range names {
			p.Keys = append(p.Keys, e.Key)
			p.Events = append(p.Events, e.Event)
			p.TaskIds = append(p.TaskIds, e.TaskID)
			p.Kinds = append(p.Kinds, kind)
			p.Principals = append(p.Principals, n)
		}
	}
	for _, e := range emails {
		add(e, PrincipalUser, e.Users)
		add(e, PrincipalGroup, e.Groups)
		add(e, PrincipalManagerOf, e.ManagerOf)
	}
	p.Keys, p.Events, p.TaskIds = nonNil(p.Keys), nonNil(p.Events), nonNil(p.TaskIds)
	p.Kinds, p.Principals = nonNil(p.Kinds), nonNil(p.Principals)
	return p
}

func eventParams(events []OutboundEvent) dbsqlc.EnqueueEventsParams {
	p := dbsqlc.EnqueueEventsParams{OccurredAt: make([]time.Time, 0, len(events))}
	for _, e := range events {
		p.Types = append(p.Types, e.Type)
		p.Keys = append(p.Keys, e.Key)
		p.RunIds = append(p.RunIds, e.RunID)
		p.TaskIds = append(p.TaskIds, e.TaskID)
		p.StepIds = append(p.StepIds, e.StepID)
		p.OccurredAt = append(p.OccurredAt, e.At)
		p.Errors = append(p.Errors, e.Error)
	}
	return p
}
