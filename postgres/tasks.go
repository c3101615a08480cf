package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/handoffhq/handoff/postgres/internal/dbsqlc"
)

// ErrInvalidCursor is returned by ListTasks for a cursor it did not issue.
var ErrInvalidCursor = errors.New("invalid cursor")

// Task is the inbox projection of one human step.
type Task struct {
	ID, RunID, StepID, Definition string
	Title, Description            string
	Kind                          string   // "task" | "approval" | ...; "" is stored as "task"
	Status                        string   // "open" | "completed" | "cancelled"
	Assignees                     []string // user ids
	CandidateGroups               []string
	ClaimedBy                     string
	DueAt                         *time.Time
	Form                          json.RawMessage // the step's form fields as JSON; empty is stored as []
	Outcome                       string
	Data                          json.RawMessage
	Comment                       string // an approval's deciding comment
	CompletedBy                   string
	CreatedAt                     time.Time // zero means now
	CompletedAt                   *time.Time
}

// TaskFilter selects tasks for ListTasks. Empty fields do not filter.
type TaskFilter struct {
	// Assignee selects tasks where the user is an assignee, one of Groups is
	// a candidate group, or the user has claimed it — and that nobody else
	// has claimed.
	Assignee   string
	Groups     []string // the assignee's groups
	Status     string   // "" = any
	Definition string
	Overdue    *bool     // due_at < Now (true) or not (false); nil = any
	Search     string    // text in the title or the run's summary, case ignored
	Now        time.Time // zero means time.Now()
	After      string    // the cursor returned with the previous page
	Limit      int       // <= 0 means 100; at most 1000
}

// OpenTask inserts t as an open task or, if its id exists and it is still
// open, updates its assignment fields (assignees, candidate groups, claimed
// by, due at). Idempotent: activities retry.
func (db *DB) OpenTask(ctx context.Context, t Task) error {
	return db.openTask(ctx, db.pool, t)
}

func (db *DB) openTask(ctx context.Context, dbtx dbsqlc.DBTX, t Task) error {
	kind := t.Kind
	if kind == "" {
		kind = "task"
	}
	form := t.Form
	if len(form) == 0 {
		form = json.RawMessage("[]")
	}
	var createdAt *time.Time
	if !t.CreatedAt.IsZero() {
		createdAt = &t.CreatedAt
	}
	err := db.q.OpenTask(ctx, dbtx, dbsqlc.OpenTaskParams{
		ID:              t.ID,
		RunID:           t.RunID,
		StepID:          t.StepID,
		Definition:      t.Definition,
		Title:           t.Title,
		Description:     t.Description,
		Kind:            kind,
		Assignees:       nonNil(t.Assignees),
		CandidateGroups: nonNil(t.CandidateGroups),
		ClaimedBy:       t.ClaimedBy,
		DueAt:           t.DueAt,
		Form:            form,
		CreatedAt:       createdAt,
	})
	if err != nil {
		return fmt.Errorf("open task %s: %w", t.ID, interpretError(err))
	}
	return nil
}

// CloseTask sets an open task's status (completed|cancelled), outcome, data,
// completed_by and completed_at (nil means now). Closing a task that is
// already closed with the same status is a no-op, so retries succeed; a
// different status gives ErrConflict and an unknown id ErrNotFound.
func (db *DB) CloseTask(ctx context.Context, t Task) error {
	return db.closeTask(ctx, db.pool, t)
}

func (db *DB) closeTask(ctx context.Context, dbtx dbsqlc.DBTX, t Task) error {
	p, err := closeParams(t)
	if err != nil {
		return err
	}
	n, err := db.q.CloseTask(ctx, dbtx, p)
	if err != nil {
		return fmt.Errorf("close task %s: %w", t.ID, interpretError(err))
	}
	if n == 1 {
		return nil
	}
	return db.checkClosed(ctx, dbtx, t)
}

// closeParams are the CloseTask parameters of t, which must be completed or cancelled.
func closeParams(t Task) (dbsqlc.CloseTaskParams, error) {
	if t.Status != "completed" && t.Status != "cancelled" {
		return dbsqlc.CloseTaskParams{}, fmt.Errorf("close task %s: status %q is not completed or cancelled", t.ID, t.Status)
	}
	var data []byte
	if len(t.Data) > 0 {
		data = t.Data
	}
	return dbsqlc.CloseTaskParams{
		ID:          t.ID,
		Status:      t.Status,
		Outcome:     t.Outcome,
		Data:        data,
		Comment:     t.Comment,
		CompletedBy: t.CompletedBy,
		CompletedAt: t.CompletedAt,
	}, nil
}

// checkClosed explains a close that changed no row: fine when the task is already
// closed with the same status (a retry), ErrConflict when closed otherwise, ErrNotFound
// when there is no such task.
func (db *DB) checkClosed(ctx context.Context, dbtx dbsqlc.DBTX, t Task) error {
	row, err := db.q.Task(ctx, dbtx, t.ID)
	if err != nil {
		return fmt.Errorf("close task: load task %s: %w", t.ID, interpretError(err))
	}
	cur := taskFromRow(row)
	if cur.Status != t.Status {
		return fmt.Errorf("close task %s as %s: already %s: %w", t.ID, t.Status, cur.Status, ErrConflict)
	}
	return nil
}

// Task returns the task with id.
func (db *DB) Task(ctx context.Context, id string) (Task, error) {
	row, err := db.q.Task(ctx, db.pool, id)
	if err != nil {
		return Task{}, fmt.Errorf("load task %s: %w", id, interpretError(err))
	}
	return taskFromRow(row), nil
}

// ListTasks returns a page of tasks ordered by due_at ascending with NULLs
// last, then created_at, then id, and the cursor of the next page ("" after
// the last page).
func (db *DB) ListTasks(ctx context.Context, f TaskFilter) ([]Task, string, error) {
	return db.listTasks(ctx, db.q, db.pool, f)
}

func (db *DB) listTasks(ctx context.Context, q *dbsqlc.Queries, dbtx dbsqlc.DBTX, f TaskFilter) ([]Task, string, error) {
	dbtx = customPlans{dbtx}
	limit := pageSize(f.Limit)
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	if f.Assignee != "" && f.Status == "open" && f.Search == "" {
		return listInbox(ctx, q, dbtx, f, limit, now)
	}
	return listAll(ctx, q, dbtx, f, limit, now)
}

// listAll answers any filter from tasks itself.
func listAll(ctx context.Context, q *dbsqlc.Queries, dbtx dbsqlc.DBTX, f TaskFilter, limit int, now time.Time) ([]Task, string, error) {
	p := dbsqlc.ListTasksParams{
		Status:     f.Status,
		Definition: f.Definition,
		Assignee:   f.Assignee,
		Groups:     nonNil(f.Groups),
		Overdue:    f.Overdue,
		Now:        now,
		Lim:        int32(limit + 1), // one extra row tells whether a next page exists
	}
	if f.Search != "" {
		p.SearchPattern = "%" + likeEscaper.Replace(f.Search) + "%"
	}
	if f.After != "" {
		c, err := decodeTaskCursor(f.After)
		if err != nil {
			return nil, "", fmt.Errorf("list tasks: %w", err)
		}
		p.HasCursor, p.CursorDue, p.CursorCreated, p.CursorID = true, c.Due, c.Created, c.ID
	}
	rows, err := q.ListTasks(ctx, dbtx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", interpretError(err))
	}
	return page(rows, limit)
}

// listInbox answers the inbox form of ListTasks (an assignee's open tasks) from the
// inbox_entries index: the same rows, order and cursors as the general query, at a
// cost that does not grow with the number of open tasks.
func listInbox(ctx context.Context, q *dbsqlc.Queries, dbtx dbsqlc.DBTX, f TaskFilter, limit int, now time.Time) ([]Task, string, error) {
	p := dbsqlc.ListInboxParams{
		Principals: InboxPrincipals(f.Assignee, f.Groups),
		Definition: f.Definition,
		Lim:        int32(limit + 1),
	}
	// Postgres keeps microseconds: due_at < now is due_at <= now - 1µs there.
	now = now.Truncate(time.Microsecond)
	if f.Overdue != nil {
		if *f.Overdue {
			before := now.Add(-time.Microsecond)
			p.DueTo = &before
		} else {
			p.DueFrom = &now
		}
	}
	if f.After != "" {
		c, err := decodeTaskCursor(f.After)
		if err != nil {
			return nil, "", fmt.Errorf("list tasks: %w", err)
		}
		p.HasCursor, p.AfterDue, p.AfterCreated, p.AfterID = true, c.Due, c.Created, c.ID
	}
	rows, err := q.ListInbox(ctx, dbtx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", interpretError(err))
	}
	return page(rows, limit)
}

// likeEscaper makes text match itself in an ILIKE pattern with backslash escapes.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// InboxPrincipals names the inboxes a user reads, as inbox_entries (migration 006)
// names them: 'u:<user>' and 'g:<group>' for each of their groups.
func InboxPrincipals(user string, groups []string) []string {
	out := make([]string, 0, 1+len(groups))
	out = append(out, "u:"+user)
	for _, g := range groups {
		if g != "" {
			out = append(out, "g:"+g)
		}
	}
	return out
}

// page cuts the one extra row a list query reads and turns it into the next cursor.
func page(rows []dbsqlc.Task, limit int) ([]Task, string, error) {
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeTaskCursor(taskCursor{Due: last.DueAt, Created: last.CreatedAt, ID: last.ID})
	}
	out := make([]Task, 0, len(rows))
	for _, r := range rows {
		out = append(out, taskFromRow(r))
	}
	return out, next, nil
}

// taskCursor is the sort key of the last row of a page.
type taskCursor struct {
	Due     *time.Time `json:"d,omitempty"`
	Created time.Time  `json:"c"`
	ID      string     `json:"i"`
}

func encodeTaskCursor(c taskCursor) string {
	b, _ := json.Marshal(c) // cannot fail: times and a string
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeTaskCursor(s string) (taskCursor, error) {
	var c taskCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return taskCursor{}, fmt.Errorf("%w %q", ErrInvalidCursor, s)
	}
	return c, nil
}

func taskFromRow(r dbsqlc.Task) Task {
	return Task{
		ID:              r.ID,
		RunID:           r.RunID,
		StepID:          r.StepID,
		Definition:      r.Definition,
		Title:           r.Title,
		Description:     r.Description,
		Kind:            r.Kind,
		Status:          r.Status,
		Assignees:       nonNil(r.Assignees),
		CandidateGroups: nonNil(r.CandidateGroups),
		ClaimedBy:       r.ClaimedBy,
		DueAt:           r.DueAt,
		Form:            json.RawMessage(r.Form),
		Outcome:         r.Outcome,
		Data:            json.RawMessage(r.Data),
		Comment:         r.Comment,
		CompletedBy:     r.CompletedBy,
		CreatedAt:       r.CreatedAt,
		CompletedAt:     r.CompletedAt,
	}
}
