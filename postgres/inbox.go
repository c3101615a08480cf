package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// InboxWrite is one change of a run's projection and the notifications it causes,
// written in one transaction: the run row, tasks closed, tasks opened, then emails and
// subscription events queued against the rows just written. Every part is idempotent,
// so a retried write converges on the same rows and queues nothing twice.
type InboxWrite struct {
	Run    *Run
	Close  []Task
	Open   []Task
	Emails []TaskEmail
	Events []OutboundEvent
}

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
// Each subscription's delivery has the dedupe key subscription id + "/" + Key.
type OutboundEvent struct {
	Type, Key     string
	RunID, TaskID string
	At            time.Time
	Error         string // for step.failed
}

// WriteInbox applies w in one transaction.
func (db *DB) WriteInbox(ctx context.Context, w InboxWrite) error {
	// The statements go out as one pipelined batch, BEGIN included: one round trip for
	// the whole write instead of one per row, then COMMIT. A close that changed no row
	// (a retry) is explained afterwards, in the same transaction.
	b := &batch{}
	if w.Run != nil {
		if err := db.upsertRun(ctx, b, *w.Run); err != nil {
			return fmt.Errorf("write inbox: %w", err)
		}
		b.as("upsert run " + w.Run.ID)
	}
	var unchanged []Task
	for _, t := range w.Close {
		p, err := closeParams(t)
		if err != nil {
			return fmt.Errorf("write inbox: %w", err)
		}
		_, _ = db.q.CloseTask(ctx, b, p) // queued: cannot fail here
		b.as("close task " + t.ID)
		b.onResult(func(ct pgconn.CommandTag) {
			if ct.RowsAffected() != 1 {
				unchanged = append(unchanged, t)
			}
		})
	}
	for _, t := range w.Open {
		if err := db.openTask(ctx, b, t); err != nil {
			return fmt.Errorf("write inbox: %w", err)
		}
		b.as("open task " + t.ID)
	}
	if len(w.Emails) > 0 {
		_ = db.q.EnqueueTaskEmails(ctx, b, taskEmailParams(w.Emails))
		b.as("queue task emails")
	}
	if len(w.Events) > 0 {
		_ = db.q.EnqueueEvents(ctx, b, eventParams(w.Events))
		b.as("queue events")
	}
	err := db.sendInTx(ctx, b, func(tx dbsqlc.DBTX) error {
		for _, t := range unchanged {
			if err := db.checkClosed(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write inbox: %w", err)
	}
	return nil
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
		p.OccurredAt = append(p.OccurredAt, e.At)
		p.Errors = append(p.Errors, e.Error)
	}
	return p
}
