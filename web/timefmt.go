package web

import (
	"fmt"
	"time"
)

// dueWords says when a task is due relative to now, in words: "due in 3 h",
// "2 days overdue", "no due date".
func dueWords(due *time.Time, now time.Time) string {
	if due == nil {
		return "no due date"
	}
	d := due.Sub(now)
	if d >= 0 {
		if d < time.Minute {
			return "due now"
		}
		return "due in " + span(d)
	}
	d = -d
	if d < time.Minute {
		return "due just now"
	}
	return span(d) + " overdue"
}

// span is a duration in its largest unit: minutes and hours rounded ("5 min", "3 h"),
// days whole ("1 day", "12 days").
func span(d time.Duration) string {
	if m := d.Round(time.Minute); m < time.Hour {
		return fmt.Sprintf("%d min", int(m/time.Minute))
	}
	if h := d.Round(time.Hour); h < 24*time.Hour {
		return fmt.Sprintf("%d h", int(h/time.Hour))
	}
	if days := int(d / (24 * time.Hour)); days > 1 {
		return fmt.Sprintf("%d days", days)
	}
	return "1 day"
}

// when is a moment as a person reads it in their time zone: "Mon 2 Mar 2026, 14:05 CET".
func when(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}
