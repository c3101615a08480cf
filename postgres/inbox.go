package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if w.Run != nil {
			if err := db.upsertRun(ctx, tx, *w.Run); err != nil {
				return err
			}
		}
		for _, t := range w.Close {
			if err := db.closeTask(ctx, tx, t); err != nil {
				return err
			}
		}
		for _, t := range w.Open {
			if err := db.openTask(ctx, tx, t); err != nil {
				return err
			}
		}
		if len(w.Emails) > 0 {
			if err := db.q.EnqueueTaskEmails(ctx, tx, taskEmailParams(w.Emails)); err != nil {
				return fmt.Errorf("queue task emails: %w", interpretError(err))
			}
		}
		if len(w.Events) > 0 {
			if err := db.q.EnqueueEvents(ctx, tx, eventParams(w.Events)); err != nil {
				return fmt.Errorf("queue events: %w", interpretError(err))
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
