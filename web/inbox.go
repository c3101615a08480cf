package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// inboxPageSize is how many tasks an inbox page lists.
const inboxPageSize = 25

// inboxView is the inbox page's data.
type inboxView struct {
	Tasks       []inboxTask
	Definitions []postgres.Definition
	Filter      inboxFilter
	Next        string // the next page's URL; "" on the last page
	First       string // the first page's URL when this is a later one
	ListURL     string // this list's URL, which a live update reloads
}

type inboxTask struct {
	postgres.Task
	Overdue bool
	Group   string // the candidate group it is offered to, when it is not the person's own
}

// inboxFilter is what the inbox's form asks for; the zero value is my open tasks.
type inboxFilter struct {
	Definition, Status, Overdue, Query, Page string
}

func (f inboxFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"definition": f.Definition, "status": f.Status, "overdue": f.Overdue, "q": f.Query, "page": f.Page} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func (f inboxFilter) url() string {
	if q := f.values().Encode(); q != "" {
		return "/?" + q
	}
	return "/"
}

// inboxPage lists the signed-in person's tasks and their groups' unclaimed ones with
// the query GET /v1/tasks uses: overdue first, then by due date. An htmx request for the
// list (a filter change, a live update) gets the list alone.
func (s *Server) inboxPage(c echo.Context) error {
	me := user(c)
	f := inboxFilter{Definition: c.QueryParam("definition"), Status: c.QueryParam("status"),
		Overdue: c.QueryParam("overdue"), Query: strings.TrimSpace(c.QueryParam("q")), Page: c.QueryParam("page")}
	tf := postgres.TaskFilter{Assignee: me.ID, Groups: me.Groups, Definition: f.Definition, Search: f.Query,
		After: f.Page, Limit: inboxPageSize, Now: time.Now().UTC()}
	switch f.Status {
	case "", workflows.TaskOpen:
		f.Status, tf.Status = "", workflows.TaskOpen
	case workflows.TaskCompleted, workflows.TaskCancelled:
		tf.Status = f.Status
	case "any":
		tf.Status = ""
	default:
		return failure(http.StatusBadRequest, "Status must be open, completed, cancelled or any.")
	}
	if f.Overdue != "" {
		b, err := strconv.ParseBool(f.Overdue)
		if err != nil {
			return failure(http.StatusBadRequest, "Overdue must be yes or no.")
		}
		tf.Overdue = &b
	}
	if len(f.Query) > 200 {
		return failure(http.StatusBadRequest, "The search text is longer than 200 characters.")
	}
	ctx := c.Request().Context()
	tasks, next, err := s.db.ListTasks(ctx, tf)
	if errors.Is(err, postgres.ErrInvalidCursor) {
		return failure(http.StatusBadRequest, "That page of the inbox does not exist; start from the first page.")
	}
	if err != nil {
		return err
	}
	v := inboxView{Filter: f, ListURL: f.url()}
	for _, t := range tasks {
		it := inboxTask{Task: t, Overdue: t.Status == workflows.TaskOpen && t.DueAt != nil && tf.Now.After(*t.DueAt)}
		if t.ClaimedBy == "" && !slices.Contains(t.Assignees, me.ID) {
			for _, g := range t.CandidateGroups {
				if slices.Contains(me.Groups, g) {
					it.Group = g
					break
				}
			}
		}
		v.Tasks = append(v.Tasks, it)
	}
	if next != "" {
		nf := f
		nf.Page = next
		v.Next = nf.url()
	}
	if f.Page != "" {
		ff := f
		ff.Page = ""
		v.First = ff.url()
	}
	if c.Request().Header.Get("HX-Request") != "" && c.Request().Header.Get("HX-Target") == "inbox-list" {
		return s.render(c, http.StatusOK, "inbox", "inbox-list", view{Page: v})
	}
	if v.Definitions, err = s.db.ListDefinitions(ctx); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "inbox", "", view{Title: "Inbox", Page: v})
}

// inboxEvents is a server-sent event stream that says "inbox" whenever a task arrives
// in or leaves one of the person's inboxes (their own or one of their groups'); the page
// then reloads its list. It ends when the server shuts down.
func (s *Server) inboxEvents(c echo.Context) error {
	me := user(c)
	sub, ok := s.inbox.subscribe(postgres.InboxPrincipals(me.ID, me.Groups))
	if !ok {
		return failure(http.StatusServiceUnavailable, "Too many live pages are open; this one will not update by itself.")
	}
	defer s.inbox.unsubscribe(sub)
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// A retry hint, and a first comment so the browser knows the stream is open.
	if _, err := fmt.Fprint(w, "retry: 2000\n: open\n\n"); err != nil {
		return nil
	}
	w.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	ctx := c.Request().Context()
	for {
		var msg string
		select {
		case <-ctx.Done():
			return nil
		case <-s.ctx.Done():
			return nil
		case <-ping.C:
			msg = ": ping\n\n"
		case <-sub.changed:
			msg = "event: inbox\ndata: changed\n\n"
		}
		if _, err := fmt.Fprint(w, msg); err != nil {
			return nil
		}
		w.Flush()
	}
}

// inboxHub fans the store's inbox notifications out to the open streams whose
// principals they name. One listener connection per process.
type inboxHub struct {
	db  *postgres.DB
	log *slog.Logger
	max int

	mu   sync.Mutex
	subs map[*inboxSub]struct{}
}

type inboxSub struct {
	principals map[string]bool
	changed    chan struct{} // one pending wake-up is enough: the page reloads its whole list
}

func newInboxHub(db *postgres.DB, log *slog.Logger, max int) *inboxHub {
	return &inboxHub{db: db, log: log, max: max, subs: map[*inboxSub]struct{}{}}
}

func (h *inboxHub) subscribe(principals []string) (*inboxSub, bool) {
	sub := &inboxSub{principals: map[string]bool{}, changed: make(chan struct{}, 1)}
	for _, p := range principals {
		sub.principals[p] = true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) >= h.max {
		return nil, false
	}
	h.subs[sub] = struct{}{}
	return sub, true
}

func (h *inboxHub) unsubscribe(sub *inboxSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
}

// notify wakes the streams of the principals (all of them when all is set).
func (h *inboxHub) notify(principals []string, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		hit := all
		for _, p := range principals {
			if hit {
				break
			}
			hit = sub.principals[p]
		}
		if hit {
			select {
			case sub.changed <- struct{}{}:
			default:
			}
		}
	}
}

// run listens until ctx ends, reconnecting after a failure; every stream is woken when
// a new connection listens, since changes made meanwhile were not heard.
func (h *inboxHub) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := h.db.ListenInboxChanges(ctx, func() { h.notify(nil, true) }, h.notify)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("web inbox listener stopped; reconnecting", "error", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
