package definitions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must not depend on the host
)

// Duration is a span written "<number> <unit>": "30 seconds", "15 minutes",
// "4 hours", "3 days", "2 weeks" or "5 business days" (singular units too).
// Days and weeks are calendar days in the program's time zone; business days
// skip Saturdays, Sundays and the program's holidays.
type Duration struct {
	N    int    `json:"n"`
	Unit string `json:"unit"` // second, minute, hour, day, week, business_day
}

var durationUnits = map[string]string{
	"second": "second", "seconds": "second",
	"minute": "minute", "minutes": "minute",
	"hour": "hour", "hours": "hour",
	"day": "day", "days": "day",
	"week": "week", "weeks": "week",
	"business day": "business_day", "business days": "business_day",
}

// ParseDuration parses the duration syntax described at Duration.
func ParseDuration(s string) (Duration, error) {
	fields := strings.Fields(s)
	if len(fields) < 2 || len(fields) > 3 {
		return Duration{}, fmt.Errorf("invalid duration %q: write a number and a unit, e.g. \"3 days\" or \"2 business days\"", s)
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n < 0 || n > 100000 {
		return Duration{}, fmt.Errorf("invalid duration %q: %q is not a whole number between 0 and 100000", s, fields[0])
	}
	unit, ok := durationUnits[strings.ToLower(strings.Join(fields[1:], " "))]
	if !ok {
		return Duration{}, fmt.Errorf("invalid duration %q: unit must be seconds, minutes, hours, days, weeks or business days", s)
	}
	return Duration{N: n, Unit: unit}, nil
}

// String renders the duration in its source syntax.
func (d Duration) String() string {
	unit := strings.ReplaceAll(d.Unit, "_", " ")
	if d.N != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", d.N, unit)
}

// Fixed returns the duration as a time.Duration when it does not depend on the
// calendar (seconds, minutes, hours); ok is false for days, weeks and business days.
func (d Duration) Fixed() (time.Duration, bool) {
	switch d.Unit {
	case "second":
		return time.Duration(d.N) * time.Second, true
	case "minute":
		return time.Duration(d.N) * time.Minute, true
	case "hour":
		return time.Duration(d.N) * time.Hour, true
	}
	return 0, false
}

// Location loads the program's time zone (UTC when unset) from the embedded database.
func (p *Program) Location() (*time.Location, error) {
	if p.TimeZone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(p.TimeZone)
}

// AddDuration moves t by d (backwards when before is true) in the program's
// calendar: days keep the wall-clock time across DST changes, business days skip
// weekends and holidays. The result is in the program's time zone.
func (p *Program) AddDuration(t time.Time, d Duration, before bool) (time.Time, error) {
	loc, err := p.Location()
	if err != nil {
		return time.Time{}, fmt.Errorf("load time zone: %w", err)
	}
	t = t.In(loc)
	sign := 1
	if before {
		sign = -1
	}
	if fixed, ok := d.Fixed(); ok {
		return t.Add(time.Duration(sign) * fixed), nil
	}
	switch d.Unit {
	case "day":
		return t.AddDate(0, 0, sign*d.N), nil
	case "week":
		return t.AddDate(0, 0, sign*7*d.N), nil
	case "business_day":
		return p.addBusinessDays(t, sign, d.N), nil
	}
	return time.Time{}, fmt.Errorf("unknown duration unit %q", d.Unit)
}

func (p *Program) addBusinessDays(t time.Time, sign, n int) time.Time {
	holidays := make(map[string]bool, len(p.Holidays))
	for _, h := range p.Holidays {
		holidays[h] = true
	}
	for n > 0 {
		t = t.AddDate(0, 0, sign)
		if p.isBusinessDay(t, holidays) {
			n--
		}
	}
	return t
}

func (p *Program) isBusinessDay(t time.Time, holidays map[string]bool) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !holidays[t.Format(time.DateOnly)]
}
