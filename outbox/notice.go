package outbox

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// noticeWords are the subject prefix and opening line of each task email.
func noticeWords(event string) (prefix, opening string) {
	switch event {
	case EventTaskAssigned:
		return "Task for you", "You have a new task in Handoff."
	case "task.reminder":
		return "Reminder", "A reminder about a task waiting for you in Handoff."
	case "task.escalated":
		return "Escalated", "A task in Handoff has been escalated to you."
	case EventTaskOverdue:
		return "Overdue", "A task waiting for you in Handoff is past its due date."
	}
	return "Handoff", "About a task in Handoff."
}

// TaskLink is the address of a task's page in the web app: publicURL/tasks/<id>.
func TaskLink(publicURL, taskID string) string {
	return strings.TrimRight(publicURL, "/") + "/tasks/" + url.PathEscape(taskID)
}

// dueText is a due time as a person reads it, in the definition's time zone (UTC when
// it has none, or one this machine does not know).
func dueText(due time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if zone == "" || err != nil {
		return due.UTC().Format("Mon 2 Jan 2006 15:04 MST")
	}
	text := due.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	if zone != "UTC" {
		text += " (" + zone + ")"
	}
	return text
}

// message turns an email payload into the message to send. id is the outbox id.
func message(id string, e Email, publicURL string, links []decisionLink) Message {
	if e.Task == nil {
		return Message{ID: id, To: e.To, Subject: e.Subject, Body: e.Body}
	}
	prefix, opening := noticeWords(e.Event)
	t := e.Task
	var b strings.Builder
	b.WriteString(opening + "\n\n")
	fmt.Fprintf(&b, "Task:  %s\n", t.Title)
	if t.Summary != "" {
		fmt.Fprintf(&b, "Run:   %s (%s)\n", t.Summary, t.RunID)
	} else {
		fmt.Fprintf(&b, "Run:   %s\n", t.RunID)
	}
	if t.DueAt != nil {
		fmt.Fprintf(&b, "Due:   %s\n", dueText(*t.DueAt, t.TimeZone))
	} else {
		b.WriteString("Due:   no due date\n")
	}
	fmt.Fprintf(&b, "Link:  %s\n", TaskLink(publicURL, t.ID))
	if len(links) > 0 {
		b.WriteString("\nDecide from here (each link asks you to confirm, and works once):\n")
		for _, l := range links {
			label := "Approve"
			if l.Outcome == "rejected" {
				label = "Reject"
			}
			fmt.Fprintf(&b, "%-8s %s\n", label+":", l.URL)
		}
	}
	return Message{ID: id, To: e.To, Subject: prefix + ": " + t.Title, Body: b.String()}
}
