package audit

import (
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/handoffhq/handoff/workflows"
)

// activityScheduled records inbox writes and integration calls. Secret values never
// appear: requests name secrets, the activity resolves them.
func (b *builder) activityScheduled(seq int, ev *historypb.HistoryEvent) error {
	a := ev.GetActivityTaskScheduledEventAttributes()
	at := b.commandTime(ev)
	switch name := a.GetActivityType().GetName(); name {
	case workflows.ActivitySyncInbox:
		var s workflows.InboxSync
		if err := b.decode(a.GetInput(), &s); err != nil {
			return err
		}
		b.inboxWrite(seq, ev.GetEventId(), at, s)
	case workflows.ActivityHTTP:
		var req workflows.HTTPRequest
		if err := b.decode(a.GetInput(), &req); err != nil {
			return err
		}
		b.exec.calls[ev.GetEventId()] = call{activity: name, step: req.StepID}
		b.emit(fromCommand, seq, rankFirst, at, ActorSystem, KindIntegrationCall, req.StepID, "", httpCall(req))
	case workflows.ActivityNotify:
		var req workflows.NotifyRequest
		if err := b.decode(a.GetInput(), &req); err != nil {
			return err
		}
		b.exec.calls[ev.GetEventId()] = call{activity: name, step: req.StepID}
		b.emit(fromCommand, seq, rankFirst, at, ActorSystem, KindIntegrationCall, req.StepID, "", notifyCall(req))
	}
	return nil
}

// marker records an inbox write made as a local activity (interpreter version 2), from
// the marker of a successful SyncInbox, which carries the write and the assignees it
// resolved. A failed attempt wrote nothing and is retried.
func (b *builder) marker(seq int, ev *historypb.HistoryEvent) error {
	res, ok, err := workflows.SyncInboxWritten(ev, b.dc)
	if !ok {
		return err
	}
	b.inboxWrite(seq, ev.GetEventId(), b.commandTime(ev), *res.Written)
	b.resolved(ev.GetEventId(), res)
	return nil
}

func httpCall(req workflows.HTTPRequest) map[string]any {
	headers := map[string]any{}
	for _, h := range req.Headers {
		headers[h.Name] = h.Value
	}
	secrets := map[string]any{}
	for _, h := range req.SecretHeaders {
		secrets[h.Name] = "secret:" + h.Value // the secret's name, never its value
	}
	d := map[string]any{"type": "http", "method": req.Method, "url": req.URL, "headers": headers,
		"secret_headers": secrets, "idempotency_key": req.IdempotencyKey}
	if req.Body != nil {
		d["body"] = req.Body
	}
	return d
}

func notifyCall(req workflows.NotifyRequest) map[string]any {
	d := map[string]any{"type": "notify", "channel": req.Channel, "users": nonNil(req.Users),
		"groups": nonNil(req.Groups), "addresses": nonNil(req.Addresses), "subject": req.Subject,
		"message": req.Message, "idempotency_key": req.IdempotencyKey}
	if len(req.ManagerOf) > 0 {
		d["manager_of"] = req.ManagerOf
	}
	if req.URL != "" {
		d["url"] = req.URL
	}
	if req.URLSecret != "" {
		d["url_secret"] = "secret:" + req.URLSecret
	}
	return d
}

// activityCompleted records an integration's answer, or the assignees an inbox write resolved.
func (b *builder) activityCompleted(seq int, ev *historypb.HistoryEvent) error {
	a := ev.GetActivityTaskCompletedEventAttributes()
	id := a.GetScheduledEventId()
	if _, ok := b.exec.syncs[id]; ok {
		var res workflows.InboxResult
		if err := b.decode(a.GetResult(), &res); err != nil {
			return err
		}
		b.resolved(id, res)
		return nil
	}
	c, ok := b.exec.calls[id]
	if !ok {
		return nil
	}
	detail := map[string]any{"type": activityKind(c.activity), "attempts": b.attempts(id)}
	if c.activity == workflows.ActivityHTTP {
		var res workflows.HTTPResponse
		if err := b.decode(a.GetResult(), &res); err != nil {
			return err
		}
		detail["status"] = res.Status
		if res.Body != nil {
			detail["body"] = res.Body
		}
	}
	b.emit(fromEvent, seq, rankFirst, ev.GetEventTime().AsTime(), ActorSystem, KindIntegrationResult, c.step, "", detail)
	return nil
}

// activityFailed records an integration that failed after its retries (or was
// cancelled), and forgets an inbox write that did not happen.
func (b *builder) activityFailed(seq int, ev *historypb.HistoryEvent) error {
	var (
		id      int64
		failure *failurepb.Failure
		kind    = KindIntegrationFailed
	)
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		a := ev.GetActivityTaskFailedEventAttributes()
		id, failure = a.GetScheduledEventId(), a.GetFailure()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		a := ev.GetActivityTaskTimedOutEventAttributes()
		id, failure = a.GetScheduledEventId(), a.GetFailure()
	default:
		id, kind = ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), KindIntegrationCancelled
	}
	if entries, ok := b.exec.syncs[id]; ok {
		for _, e := range entries {
			e.dropped = true
		}
		return nil
	}
	c, ok := b.exec.calls[id]
	if !ok {
		return nil
	}
	detail := map[string]any{"type": activityKind(c.activity), "attempts": b.attempts(id)}
	if failure != nil {
		detail["error"] = failureMessage(failure)
	}
	b.emit(fromEvent, seq, rankFirst, ev.GetEventTime().AsTime(), ActorSystem, kind, c.step, "", detail)
	return nil
}

// attempts is how many attempts an activity took (1 when history does not say).
func (b *builder) attempts(scheduled int64) int32 {
	if n := b.exec.attempts[scheduled]; n > 0 {
		return n
	}
	return 1
}

func activityKind(name string) string {
	if name == workflows.ActivityHTTP {
		return "http"
	}
	return "notify"
}

// failureMessage joins a failure's messages down its cause chain.
func failureMessage(f *failurepb.Failure) string {
	var msgs []string
	for ; f != nil; f = f.GetCause() {
		if m := f.GetMessage(); m != "" && (len(msgs) == 0 || msgs[len(msgs)-1] != m) {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, ": ")
}
