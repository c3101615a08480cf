package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/handoffhq/handoff/definitions"
)

// What publish accepts evaluates at run time from interpreter version 3: integer
// literals against number fields (issue 13.1, the numeric model in definitions) and an
// approval's comment read as steps.<id>.data.comment. Versions 1 and 2 keep what they
// did, so that their histories replay.
const publishTypes = `key: publish-types
name: Publish types
roles:
  boss: {user: boss}
steps:
  - id: pay
    title: Pay
    assignee: boss
    form:
      - id: monthly
        type: number
        required: true
        validate:
          - {expr: 'form.monthly * 12 <= 100000 && form.monthly + 1 > 0', message: Too much.}
  - id: review
    kind: approval
    title: Review
    assignee: boss
  - id: after
    kind: set
    values:
      said: '"said: " + steps.review.data.comment'
      yearly: steps.pay.data.monthly * 12
  - id: heard
    title: 'Heard "{{ steps.review.data.comment }}"'
    assignee: boss
  - id: done
    kind: end
    outcome: done
    outputs:
      said: steps.after.data.said
      yearly: steps.after.data.yearly
`

func TestPublishedTypesEvaluate(t *testing.T) {
	_, err := definitions.Compile([]byte(publishTypes))
	require.NoError(t, err, "publish accepts every expression")

	t.Run("version 3", func(t *testing.T) {
		h, in := newHarness(t, publishTypes)
		var pay, review *outcome
		h.at(time.Minute, func() { pay = h.admin("pay", "", map[string]any{"monthly": 5000}) })
		h.at(2*time.Minute, func() {
			review = h.complete(CompleteRequest{TaskID: taskID("review"), Actor: "boss",
				Outcome: definitions.OutcomeApproved, Comment: "fine by me"})
		})
		h.at(3*time.Minute, func() { h.admin("heard", "", nil) })
		st, err := h.run(in)
		require.NoError(t, err)
		require.NoError(t, pay.err, "the validate rule with integer literals evaluates")
		require.NoError(t, review.err)
		require.Equal(t, StatusCompleted, st.Status, "%+v", st.Error)
		require.Equal(t, "fine by me", step(st, "review").Data["comment"])
		require.Equal(t, "fine by me", step(st, "review").Comment)
		require.Equal(t, map[string]any{"said": "said: fine by me", "yearly": 60000.0}, st.Outputs)
		var title string
		for _, s := range h.inbox.syncs {
			for _, o := range s.Open {
				if o.Task.StepID == "heard" {
					title = o.Task.Title
				}
			}
		}
		require.Equal(t, `Heard "fine by me"`, title, "a template reads the comment")
	})
	t.Run("version 3, no comment", func(t *testing.T) {
		h, in := newHarness(t, publishTypes)
		h.at(time.Minute, func() { h.admin("pay", "", map[string]any{"monthly": 5000}) })
		h.at(2*time.Minute, func() { h.admin("review", definitions.OutcomeApproved, nil) })
		h.at(3*time.Minute, func() { h.admin("heard", "", nil) })
		st, err := h.run(in)
		require.NoError(t, err)
		require.Equal(t, StatusCompleted, st.Status, "%+v", st.Error)
		require.Equal(t, "said: ", st.Outputs["said"], "an approval without a comment has an empty one")
	})
	t.Run("version 2 keeps its numeric model and its data", func(t *testing.T) {
		h, in := newHarness(t, publishTypes)
		in.Interpreter = 2
		var pay *outcome
		h.at(time.Minute, func() { pay = h.admin("pay", "", map[string]any{"monthly": 5000}) })
		h.at(time.Hour, func() { h.env.CancelWorkflow() })
		st, _ := h.run(in)
		require.Error(t, pay.err, "version 2 evaluated form.monthly * 12 as int against double")
		require.NotEqual(t, StepCompleted, step(st, "pay").Status)
	})
}
