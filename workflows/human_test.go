package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const assignments = `key: assignments
name: Assignments
inputs:
  - id: owner
    type: user
    required: true
roles:
  one: {user: alice}
  several: {users: [bob, carol]}
  team: {group: finance}
  owner: {expression: inputs.owner}
  boss: {manager_of: run.started_by}
steps:
  - {id: to_one, title: One, assignee: one}
  - {id: to_several, title: Several, assignee: several}
  - {id: to_team, title: Team, assignee: team}
  - {id: to_owner, title: Owner, assignee: owner}
  - {id: to_boss, title: Boss, assignee: boss}
`

func TestAssignmentKinds(t *testing.T) {
	h, in := newHarness(t, assignments)
	in.Inputs = map[string]any{"owner": "olga"}
	in.StartedBy = "sam"
	for i, s := range []string{"to_one", "to_several", "to_team", "to_owner", "to_boss"} {
		h.at(time.Duration(i+1)*time.Minute, func() { h.admin(s, "", nil) })
	}
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, st.Status)

	opened := map[string]Task{}
	var managerOf []string
	for _, s := range h.inbox.syncs {
		for _, o := range s.Open {
			opened[o.Task.StepID] = o.Task
			managerOf = append(managerOf, o.ManagerOf...)
		}
	}
	require.Equal(t, []string{"alice"}, opened["to_one"].Assignees)
	require.Equal(t, []string{"bob", "carol"}, opened["to_several"].Assignees)
	require.Empty(t, opened["to_team"].Assignees)
	require.Equal(t, []string{"finance"}, opened["to_team"].CandidateGroups)
	require.Equal(t, []string{"olga"}, opened["to_owner"].Assignees, "an expression over run data")
	require.Equal(t, []string{"sam"}, managerOf, "the manager is looked up by the activity")
	require.Equal(t, "admin", step(st, "to_boss").CompletedBy)
}

const approvalTmpl = `key: approvals
name: Approvals
roles:
  board: {users: [ann, ben, cat]}
steps:
  - id: vote
    kind: approval
    title: Vote
    assignee: board
    policy: POLICY
  - {id: after, title: After, assignee: board}
`

func TestApprovalPolicies(t *testing.T) {
	cases := []struct {
		policy  string
		votes   []string // "ann:approved", …
		outcome string
		votesIn int // votes recorded on the closed task
	}{
		{"any", []string{"ann:approved"}, "approved", 1},
		{"any", []string{"ben:rejected"}, "rejected", 1},
		{"all", []string{"ann:approved", "ben:approved", "cat:approved"}, "approved", 3},
		{"all", []string{"ann:approved", "ben:rejected"}, "rejected", 2},
		{"2", []string{"ann:approved", "cat:approved"}, "approved", 2},
		{"2", []string{"ann:rejected", "ben:approved", "cat:rejected"}, "rejected", 3},
	}
	for _, tc := range cases {
		t.Run(tc.policy+"/"+tc.outcome, func(t *testing.T) {
			h, in := newHarness(t, replace(approvalTmpl, "POLICY", tc.policy))
			var results []*outcome
			for i, v := range tc.votes {
				who, out, _ := cut(v, ":")
				h.at(time.Duration(i+1)*time.Minute, func() {
					results = append(results, h.complete(CompleteRequest{TaskID: taskID("vote"), Actor: who, Outcome: out, Comment: "because"}))
				})
			}
			h.at(time.Hour, func() { h.env.CancelWorkflow() })
			st, _ := h.run(in)
			for _, r := range results {
				require.NoError(t, r.err)
			}
			vote := step(st, "vote")
			require.Equal(t, StepCompleted, vote.Status)
			require.Equal(t, tc.outcome, vote.Outcome)
			require.Len(t, vote.Votes, tc.votesIn)
			require.Equal(t, StepCancelled, step(st, "after").Status, "the run moved on once the policy decided")
		})
	}
}

func TestApprovalRefusals(t *testing.T) {
	src := `key: approvals
name: Approvals
roles:
  board: {users: [ann, ben]}
steps:
  - id: vote
    kind: approval
    assignee: board
    policy: all
    exclude_requester: true
`
	h, in := newHarness(t, src)
	in.StartedBy = "ann"
	var self, twice, badOutcome *outcome
	h.at(time.Minute, func() {
		self = h.complete(CompleteRequest{TaskID: taskID("vote"), Actor: "ann", Outcome: "approved"})
		badOutcome = h.complete(CompleteRequest{TaskID: taskID("vote"), Actor: "ben", Outcome: "maybe"})
	})
	h.at(2*time.Minute, func() { h.complete(CompleteRequest{TaskID: taskID("vote"), Actor: "ben", Outcome: "approved"}) })
	h.at(3*time.Minute, func() {
		twice = h.complete(CompleteRequest{TaskID: taskID("vote"), Actor: "ben", Outcome: "approved"})
	})
	h.at(time.Hour, func() { h.env.CancelWorkflow() })
	_, _ = h.run(in)
	require.ErrorContains(t, self.err, "requester may not approve")
	require.Contains(t, fieldErrors(t, badOutcome.err), "outcome")
	require.ErrorContains(t, twice.err, "already decided")
}

func TestSendBackIsBounded(t *testing.T) {
	src := `key: rework
name: Rework
roles:
  boss: {user: boss}
  author: {user: writer}
steps:
  - id: draft
    title: Draft
    assignee: author
  - id: review
    kind: approval
    assignee: boss
    send_back_to: draft
    max_rounds: 1
  - id: publish
    kind: end
    outcome: done
`
	h, in := newHarness(t, src)
	h.at(1*time.Minute, func() { h.admin("draft", "", nil) })
	h.at(2*time.Minute, func() { h.admin("review", "rejected", nil) })
	h.at(3*time.Minute, func() {
		h.complete(CompleteRequest{TaskID: taskID("draft.2"), Actor: "writer"})
	})
	h.at(4*time.Minute, func() {
		h.complete(CompleteRequest{TaskID: taskID("review.2"), Actor: "boss", Outcome: "rejected", Comment: "still no"})
	})
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, "done", st.Outcome, "after its one round the rejection stands and the run goes on")
	review := step(st, "review")
	require.Equal(t, 2, review.Round)
	require.Equal(t, "rejected", review.Outcome)
	require.Equal(t, 1, review.SentBack)
	kinds := journalKinds(h.inbox.journal())
	require.Contains(t, kinds, JournalSentBack)
}

func TestOwnership(t *testing.T) {
	src := `key: owner
name: Ownership
roles:
  team: {group: finance}
steps:
  - {id: pay, title: Pay, assignee: team}
`
	h, in := newHarness(t, src)
	var claim, otherCompletes, strangerReassigns, reassign, delegate *updateOutcome
	var done *outcome
	claimReq := OwnershipRequest{Kind: OwnershipClaim, TaskID: taskID("pay"), Actor: "fay", ActorGroups: []string{"finance"}}
	h.at(1*time.Minute, func() { claim = h.update(UpdateClaim, claimReq) })
	h.at(2*time.Minute, func() {
		o := h.complete(CompleteRequest{TaskID: taskID("pay"), Actor: "gus", ActorGroups: []string{"finance"}})
		otherCompletes = &updateOutcome{err: nil}
		h.at(2*time.Minute+time.Second, func() { otherCompletes.err = o.err })
		strangerReassigns = h.update(UpdateReassign, OwnershipRequest{Kind: OwnershipReassign, TaskID: taskID("pay"), Actor: "gus", To: "gus"})
	})
	h.at(3*time.Minute, func() {
		reassign = h.update(UpdateReassign, OwnershipRequest{Kind: OwnershipReassign, TaskID: taskID("pay"), Actor: "admin", Admin: true, To: "zed"})
	})
	h.at(4*time.Minute, func() {
		delegate = h.update(UpdateDelegate, OwnershipRequest{Kind: OwnershipDelegate, TaskID: taskID("pay"), Actor: "zed", To: "yan", Comment: "on leave"})
	})
	h.at(5*time.Minute, func() { done = h.complete(CompleteRequest{TaskID: taskID("pay"), Actor: "yan"}) })
	st, err := h.run(in)
	require.NoError(t, err)
	require.NoError(t, claim.err)
	require.Equal(t, "fay", claim.value.(Task).ClaimedBy)
	require.ErrorContains(t, otherCompletes.err, "may not complete", "a claimed task belongs to its claimant")
	require.ErrorContains(t, strangerReassigns.err, "may not reassign")
	require.NoError(t, reassign.err)
	require.Equal(t, []string{"zed"}, reassign.value.(Task).Assignees)
	require.NoError(t, delegate.err)
	history := delegate.value.(Task).History
	require.Len(t, history, 3)
	require.Equal(t, TaskEvent{At: history[0].At, Kind: "claim", Actor: "fay", From: "group:finance", To: "fay"}, history[0])
	require.Equal(t, "reassign", history[1].Kind)
	require.Equal(t, "fay", history[1].From)
	require.Equal(t, "zed", history[1].To)
	require.Equal(t, TaskEvent{At: history[2].At, Kind: "delegate", Actor: "zed", From: "zed", To: "yan", Detail: "on leave"}, history[2])
	require.NoError(t, done.err)
	require.Equal(t, "yan", step(st, "pay").CompletedBy)
	require.Len(t, journalKinds(h.inbox.journal()), 3)
}

// TestRelease: only the claimant (or an admin) releases a claimed task, which goes back
// to its group; a task not claimed is not released.
func TestRelease(t *testing.T) {
	src := `key: release
name: Release
roles:
  team: {group: finance}
steps:
  - {id: pay, title: Pay, assignee: team}
`
	h, in := newHarness(t, src)
	finance := []string{"finance"}
	var stranger, release, again, reclaim, byAdmin *updateOutcome
	var done *outcome
	own := func(kind, actor string, admin bool) *updateOutcome {
		return h.update(kind, OwnershipRequest{Kind: kind, TaskID: taskID("pay"), Actor: actor, ActorGroups: finance, Admin: admin, Comment: "busy"})
	}
	h.at(1*time.Minute, func() { own(UpdateClaim, "fay", false) })
	h.at(2*time.Minute, func() { stranger = own(UpdateRelease, "gus", false) })
	h.at(3*time.Minute, func() { release = own(UpdateRelease, "fay", false) })
	h.at(4*time.Minute, func() { again = own(UpdateRelease, "fay", false) })
	h.at(5*time.Minute, func() { reclaim = own(UpdateClaim, "gus", false) })
	h.at(6*time.Minute, func() { byAdmin = own(UpdateRelease, "admin", true) })
	h.at(7*time.Minute, func() { done = h.complete(CompleteRequest{TaskID: taskID("pay"), Actor: "fay", ActorGroups: finance}) })
	st, err := h.run(in)
	require.NoError(t, err)
	require.ErrorContains(t, stranger.err, "gus may not release")
	require.NoError(t, release.err)
	require.Empty(t, release.value.(Task).ClaimedBy)
	require.Equal(t, []string{"finance"}, release.value.(Task).CandidateGroups)
	require.ErrorContains(t, again.err, "is not claimed")
	require.NoError(t, reclaim.err)
	require.Equal(t, "gus", reclaim.value.(Task).ClaimedBy, "back with the group, another member claims it")
	require.NoError(t, byAdmin.err)
	history := byAdmin.value.(Task).History
	require.Len(t, history, 4)
	require.Equal(t, TaskEvent{At: history[1].At, Kind: "release", Actor: "fay", From: "fay", To: "group:finance", Detail: "busy"}, history[1])
	require.Equal(t, TaskEvent{At: history[3].At, Kind: "release", Actor: "admin", From: "gus", To: "group:finance", Detail: "busy"}, history[3])
	require.NoError(t, done.err)
	require.Equal(t, "fay", step(st, "pay").CompletedBy)
}

func journalKinds(entries []JournalEntry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Kind)
	}
	return out
}

func replace(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

func cut(s, sep string) (string, string, bool) { return strings.Cut(s, sep) }
