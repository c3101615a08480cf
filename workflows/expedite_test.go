package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const probation = `key: probation
name: Probation
steps:
  - {id: probation_wait, kind: wait, for: 4 weeks}
  - id: documents
    kind: wait
    event: vendor-documents
    timeout: 14 days
    on_timeout: chase
  - {id: done, kind: end, outcome: received}
  - {id: chase, kind: end, outcome: chased}
`

// TestExpediteWait: an operator ends a four-week wait after an hour, then times out an
// event wait; each is recorded with who and why, and refused where it does not apply.
func TestExpediteWait(t *testing.T) {
	h, in := newHarness(t, probation)
	var early, notWaiting, ok1, ok2 *updateOutcome
	h.at(time.Hour, func() {
		early = h.update(UpdateExpedite, ExpediteRequest{Step: "documents", Reason: "r", Actor: "ada"})
		notWaiting = h.update(UpdateExpedite, ExpediteRequest{Step: "done", Reason: "r", Actor: "ada"})
		ok1 = h.update(UpdateExpedite, ExpediteRequest{Step: "probation_wait", Reason: "probation waived by HR", Actor: "ada"})
	})
	h.at(2*time.Hour, func() {
		ok2 = h.update(UpdateExpedite, ExpediteRequest{Step: "documents", Reason: "the vendor will not send them", Actor: "ada"})
	})
	st, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, "chased", st.Outcome, "the expedited event wait took its timeout path")
	require.NoError(t, ok1.err)
	require.NoError(t, ok2.err)
	require.ErrorContains(t, early.err, "not waiting at step documents")
	require.ErrorContains(t, notWaiting.err, "not a wait")
	wait := step(st, "probation_wait")
	require.Equal(t, OutcomeElapsed, wait.Outcome)
	require.Equal(t, "ada", wait.Expedited.By)
	require.Equal(t, "probation waived by HR", wait.Expedited.Reason)
	require.Less(t, wait.CompletedAt.Sub(st.StartedAt), 2*time.Hour, "the four weeks ended after an hour")
	require.Equal(t, OutcomeTimeout, step(st, "documents").Outcome)

	var expedites []string
	for _, j := range h.inbox.journal() {
		if j.Kind == JournalExpedited {
			expedites = append(expedites, j.Actor+": "+j.Step+": "+j.Detail["reason"].(string))
		}
		if j.Kind == JournalWaited {
			require.Equal(t, "ada", j.Detail["expedited_by"])
		}
	}
	require.Equal(t, []string{"ada: probation_wait: probation waived by HR", "ada: documents: the vendor will not send them"}, expedites)
}

// TestExpediteNeedsVersion3: runs of earlier interpreter versions refuse it.
func TestExpediteNeedsVersion3(t *testing.T) {
	h, in := newHarness(t, probation)
	in.Interpreter = 2
	var refused *updateOutcome
	h.at(time.Hour, func() {
		refused = h.update(UpdateExpedite, ExpediteRequest{Step: "probation_wait", Reason: "r", Actor: "ada"})
	})
	h.at(2*time.Hour, func() { h.env.CancelWorkflow() })
	_, _ = h.run(in)
	require.ErrorContains(t, refused.err, "interpreter version 2")
}
