package audit

import (
	"context"
	"slices"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/workflows"
)

// purchase drives audit-purchase through every path it has (see its comment).
func (r *recorder) purchase() []string {
	id := r.start("audit-purchase", uniqueID("audit-purchase"), "ann", map[string]any{"item": "Standing desk", "rush": false})
	quote := r.waitTask(id, id+".quote")

	// The delivery event arrives early (the run keeps it for the wait step), twice.
	var ev workflows.EventResult
	event := workflows.EventRequest{ID: "dlv-1", Name: "delivered", Data: map[string]any{"tracking": "1Z999"}, Actor: "carrier-hook"}
	r.update(id, workflows.UpdateEvent, event, &ev)
	r.update(id, workflows.UpdateEvent, event, &ev)
	require.True(r.t, ev.Duplicate)

	r.own(id, workflows.OwnershipRequest{Kind: workflows.OwnershipClaim, TaskID: quote.ID, Actor: "alice", ActorGroups: []string{"buyers"}})
	r.own(id, workflows.OwnershipRequest{Kind: workflows.OwnershipReassign, TaskID: quote.ID, Actor: "alice", To: "carl",
		Comment: "Carl knows the vendor"})
	r.own(id, workflows.OwnershipRequest{Kind: workflows.OwnershipDelegate, TaskID: quote.ID, Actor: "carl", To: "dave",
		Comment: "I am on leave"})
	r.waitFor(id, "the quote task escalated", func(s workflows.RunState) bool {
		i := slices.IndexFunc(s.OpenTasks, func(t workflows.Task) bool { return t.ID == quote.ID })
		return i >= 0 && s.OpenTasks[i].Escalations > 0
	})
	r.complete(id, workflows.CompleteRequest{TaskID: quote.ID, Actor: "dave", Data: map[string]any{"vendor": "Acme", "price": 1450}})

	approve := r.waitTask(id, id+".approve")
	r.complete(id, workflows.CompleteRequest{TaskID: approve.ID, Actor: "mona", Outcome: "rejected",
		Comment: "Too expensive: find a cheaper desk"})

	revise := r.waitTask(id, id+".revise")
	r.signal(id, workflows.CompleteRequest{TaskID: revise.ID, Actor: "ann", Data: map[string]any{"reason": "a cheaper model"}})
	r.waitFor(id, "the incomplete signal is rejected", func(s workflows.RunState) bool { return len(s.Rejected) == 1 })
	r.signal(id, workflows.CompleteRequest{TaskID: revise.ID, Actor: "ann", Data: map[string]any{"price": 900, "reason": "a cheaper model"}})

	again := r.waitTask(id, id+".approve.2")
	r.complete(id, workflows.CompleteRequest{TaskID: again.ID, Actor: "mona", Outcome: "approved", Comment: "Fine now"})

	fix := r.waitTask(id, id+".order.fix1")
	r.complete(id, workflows.CompleteRequest{TaskID: fix.ID, Actor: "pat", Outcome: "edit",
		Data: map[string]any{"url": "https://erp.example/v2/orders"}})
	r.waitEnded(id)
	return []string{id}
}

// vendorCancelled starts audit-vendor, lets it start its subprocess, and cancels it.
func (r *recorder) vendorCancelled() []string {
	id := r.start("audit-vendor", uniqueID("audit-vendor"), "victor", map[string]any{"vendor": "Globex"})
	intake := r.waitTask(id, id+".intake")
	r.complete(id, workflows.CompleteRequest{TaskID: intake.ID, Actor: "rita", Data: map[string]any{"tier": "high"}})
	child := id + ".setup"
	r.waitTask(child, child+".accounts")
	r.cancel(id, "admin", "The vendor withdrew")
	r.waitEnded(id)
	r.waitEnded(child)
	return []string{id, child}
}

// syncFailed runs audit-sync, whose integration fails after two attempts.
func (r *recorder) syncFailed() []string {
	id := r.start("audit-sync", uniqueID("audit-sync"), "scheduler", map[string]any{"account": "A-17"})
	r.waitEnded(id)
	return []string{id}
}

func (r *recorder) signal(runID string, req workflows.CompleteRequest) {
	require.NoError(r.t, r.client.SignalWorkflow(context.Background(), runID, "", workflows.SignalComplete, req))
}
