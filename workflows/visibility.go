package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// updateVisibility keeps the search attributes and Temporal Web's current details true
// to the open tasks. Search attributes are upserted only when they change, so resting
// does not add history events.
func (r *run) updateVisibility() {
	steps, assignees := openStepsAndAssignees(r.state.OpenTasks)
	overdue := slices.ContainsFunc(r.state.OpenTasks, func(t Task) bool { return t.Overdue })
	var updates []temporal.SearchAttributeUpdate
	if !slices.Equal(steps, r.lastOpenSteps) {
		updates = append(updates, AttrOpenSteps.ValueSet(steps))
	}
	if !slices.Equal(assignees, r.lastAssignees) {
		updates = append(updates, AttrAssignees.ValueSet(assignees))
	}
	if overdue != r.lastOverdue {
		updates = append(updates, AttrOverdue.ValueSet(overdue))
	}
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(r.ctx, updates...); err != nil {
			workflow.GetLogger(r.ctx).Warn("upsert search attributes", "error", err)
		}
		r.lastOpenSteps, r.lastAssignees, r.lastOverdue = steps, assignees, overdue
	}
	workflow.SetCurrentDetails(r.ctx, r.currentDetails())
}

// openStepsAndAssignees lists, sorted and without repeats, the steps with open tasks and
// the people and groups ("group:<name>") they wait for.
func openStepsAndAssignees(tasks []Task) (steps, assignees []string) {
	steps, assignees = []string{}, []string{}
	for _, t := range tasks {
		steps = append(steps, t.StepID)
		assignees = append(assignees, t.Assignees...)
		for _, g := range t.CandidateGroups {
			assignees = append(assignees, "group:"+g)
		}
	}
	slices.Sort(steps)
	slices.Sort(assignees)
	return slices.Compact(steps), slices.Compact(assignees)
}

// currentDetails renders the run's open work as Markdown for Temporal Web.
func (r *run) currentDetails() string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**%s** · %s\n\n", r.state.Status, r.state.Summary))
	if len(r.state.OpenTasks) == 0 {
		b.WriteString("No open tasks.\n")
		return b.String()
	}
	b.WriteString("| open task | assignees | due |\n|---|---|---|\n")
	for _, t := range r.state.OpenTasks {
		who := strings.Join(t.Assignees, ", ")
		if len(t.CandidateGroups) > 0 {
			if who != "" {
				who += ", "
			}
			who += "group " + strings.Join(t.CandidateGroups, ", ")
		}
		if t.ClaimedBy != "" {
			who = t.ClaimedBy + " (claimed)"
		}
		due := "—"
		if t.DueAt != nil {
			due = t.DueAt.UTC().Format("2006-01-02 15:04 MST")
			if t.Overdue {
				due += " **overdue**"
			}
		}
		b.WriteString(fmt.Sprintf("| %s (`%s`) | %s | %s |\n", mdEscape(t.Title), t.StepID, mdEscape(who), due))
	}
	return b.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
