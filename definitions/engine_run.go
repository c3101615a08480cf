package definitions

import (
	"fmt"
	"time"
)

// MapTrigger turns a webhook delivery into run inputs with the named trigger's
// mappings. ok is false when the trigger's `when` says to ignore the delivery.
// businessKey is "" when neither the trigger nor the program defines one.
// The inputs still need ValidateForm against p.Inputs.
func (e *Engine) MapTrigger(p *Program, trigger string, payload any, headers map[string]string) (inputs map[string]any, businessKey string, ok bool, err error) {
	t := p.Trigger(trigger)
	if t == nil {
		return nil, "", false, fmt.Errorf("unknown trigger %q", trigger)
	}
	env, err := triggerEnv()
	if err != nil {
		return nil, "", false, err
	}
	if headers == nil {
		headers = map[string]string{}
	}
	vars := map[string]any{"payload": payload, "headers": headers}
	eval := func(expr string) (any, error) { return e.evalTrigger(env, expr, vars) }
	if t.When != "" {
		v, err := eval(t.When)
		if err != nil {
			return nil, "", false, err
		}
		if b, isBool := v.(bool); !isBool || !b {
			return nil, "", false, nil
		}
	}
	inputs = make(map[string]any, len(t.Inputs))
	for _, a := range t.Inputs {
		if inputs[a.Name], err = eval(a.Expr); err != nil {
			return nil, "", false, fmt.Errorf("map input %s: %w", a.Name, err)
		}
	}
	businessKey, err = e.triggerBusinessKey(p, t, eval, inputs)
	return inputs, businessKey, err == nil, err
}

func (e *Engine) triggerBusinessKey(p *Program, t *Trigger, eval func(string) (any, error), inputs map[string]any) (string, error) {
	var v any
	var err error
	switch {
	case t.BusinessKey != "":
		v, err = eval(t.BusinessKey)
	case p.BusinessKey != "":
		v, err = e.Eval(p, p.BusinessKey, Vars{Inputs: inputs})
	default:
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("business key: %w", err)
	}
	return formatValue(v, time.UTC), nil
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
