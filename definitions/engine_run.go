package definitions

import (
	"fmt"
	"strings"
	"time"
)

// TriggerMapping is a webhook delivery mapped to run inputs by a trigger.
type TriggerMapping struct {
	// Ignored is true when the trigger's `when` is false or reads a payload field or
	// header the delivery does not have: the delivery is not for this trigger.
	Ignored bool
	// Inputs are the mapped inputs. An input whose expression reads a payload field the
	// delivery does not have is left out, like an input left out of a start request
	// (ValidateForm against p.Inputs then says whether it was required).
	Inputs map[string]any
	// BusinessKey is the trigger's own business key; "" when it declares none (the
	// program's, if any, is computed from the validated inputs: BusinessKey).
	BusinessKey string
	// Errors name every expression that could not be evaluated on the delivery:
	// "inputs.<name>", "when" or "business_key".
	Errors []FieldError
}

// MapTrigger maps a webhook delivery with the named trigger: its `when`, its inputs and
// its business key, every error collected. The error is for an unknown trigger.
func (e *Engine) MapTrigger(p *Program, trigger string, payload any, headers map[string]string) (TriggerMapping, error) {
	t := p.Trigger(trigger)
	if t == nil {
		return TriggerMapping{}, fmt.Errorf("unknown trigger %q", trigger)
	}
	env, err := triggerEnv()
	if err != nil {
		return TriggerMapping{}, err
	}
	if headers == nil {
		headers = map[string]string{}
	}
	vars := map[string]any{"payload": payload, "headers": headers}
	eval := func(expr string) (any, error) { return e.evalTrigger(env, expr, vars) }
	var m TriggerMapping
	fail := func(field string, err error) {
		m.Errors = append(m.Errors, FieldError{Field: field, Message: "cannot be evaluated on the delivery: " + err.Error()})
	}
	if t.When != "" {
		v, err := eval(t.When)
		switch b, isBool := v.(bool); {
		case err != nil && absent(err), err == nil && (!isBool || !b):
			return TriggerMapping{Ignored: true}, nil
		case err != nil:
			fail("when", err)
		}
	}
	m.Inputs = make(map[string]any, len(t.Inputs))
	for _, a := range t.Inputs {
		switch v, err := eval(a.Expr); {
		case err == nil:
			m.Inputs[a.Name] = v
		case !absent(err):
			fail("inputs."+a.Name, err)
		}
	}
	if t.BusinessKey != "" {
		v, err := eval(t.BusinessKey)
		if err != nil {
			fail("business_key", err) // a run must not start without the key it promises
		} else {
			m.BusinessKey = formatValue(v, time.UTC)
		}
	}
	return m, nil
}

// absent reports whether an evaluation failed for reading a map key (a payload field,
// a header) that is not there: the one failure that says the delivery lacks a value
// rather than that the expression is wrong for it.
func absent(err error) bool {
	return strings.Contains(err.Error(), "no such key")
}

// BusinessKey evaluates the program's business key over the run inputs; "" when none.
func (e *Engine) BusinessKey(p *Program, inputs map[string]any) (string, error) {
	if p.BusinessKey == "" {
		return "", nil
	}
	v, err := e.Eval(p, p.BusinessKey, Vars{Inputs: inputs})
	if err != nil {
		return "", err
	}
	return formatValue(v, time.UTC), nil
}

// DueAt computes a human step's deadline; ok is false when the step has no due date.
// stepStart is when the step opened; run start and data come from v.
func (e *Engine) DueAt(p *Program, s *Step, stepStart time.Time, v Vars) (due time.Time, ok bool, err error) {
	if s.Due == nil {
		return time.Time{}, false, nil
	}
	base := stepStart
	switch s.Due.From {
	case "", FromStepStart:
	case FromRunStart:
		base = v.Run.StartedAt
	default:
		if base, err = e.EvalTime(p, s.Due.From, v); err != nil {
			return time.Time{}, false, err
		}
	}
	due, err = p.AddDuration(base, s.Due.Offset, s.Due.Before)
	return due, err == nil, err
}

// EvalTime evaluates an expression yielding a timestamp, or a date or RFC 3339
// text (a date is midnight in the program's time zone).
func (e *Engine) EvalTime(p *Program, expr string, v Vars) (time.Time, error) {
	out, err := e.Eval(p, expr, v)
	if err != nil {
		return time.Time{}, err
	}
	switch t := out.(type) {
	case time.Time:
		return t, nil
	case string:
		loc := e.programEnv(p).loc
		if loc == nil {
			loc = time.UTC
		}
		if d, err := parseTime(TypeDate, t, loc); err == nil {
			return d, nil
		}
		return parseTime(TypeDatetime, t, loc)
	}
	return time.Time{}, fmt.Errorf("evaluate %q: want a date or time, got %T", expr, out)
}

// ResolveUsers evaluates a role expression to user ids (a string or a list of strings).
func (e *Engine) ResolveUsers(p *Program, expr string, v Vars) ([]string, error) {
	out, err := e.Eval(p, expr, v)
	if err != nil {
		return nil, err
	}
	switch x := out.(type) {
	case string:
		return []string{x}, nil
	case []any:
		users := make([]string, 0, len(x))
		for _, el := range x {
			s, ok := el.(string)
			if !ok {
				return nil, fmt.Errorf("evaluate %q: want user ids, got %T in the list", expr, el)
			}
			users = append(users, s)
		}
		return users, nil
	}
	return nil, fmt.Errorf("evaluate %q: want a user id or a list of user ids, got %T", expr, out)
}
