package definitions

import "net/mail"

func (sc *stepCtx) notifyKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	if s.Notify == nil {
		s.Notify = &Notify{Channel: ChannelEmail}
	}
	nt := s.Notify
	switch key {
	case "channel":
		nt.Channel = c.oneOf(v, p, ChannelEmail, ChannelSlack, ChannelWebhook)
	case "to":
		nt.To = sc.roles(v, p)
	case "addresses":
		nt.Addresses = sc.addresses(v, p)
	case "url":
		nt.URL = c.tmpl(v, p, runScope)
		sc.checkURL(v, p, nt.URL)
	case "url_secret":
		nt.URLSecret = c.str(v, p)
	case "subject":
		nt.Subject = c.tmpl(v, p, runScope)
	case "message":
		nt.Message = c.tmpl(v, p, runScope)
	default:
		sc.failureKey(key, v, p)
	}
}

// addresses reads email addresses; an entry with {{ }} is a template (e.g. an
// input holding the vendor's address) checked at run time.
func (sc *stepCtx) addresses(v *node, p string) []string {
	list := sc.c.strList(v, p)
	for i, a := range list {
		at, ap := itemAt(v, i), index(p, i)
		if isTemplate(a) {
			sc.c.tmpl(at, ap, runScope)
		} else if _, err := mail.ParseAddress(a); err != nil && a != "" {
			sc.c.errs.at(at, ap, "%q is not an email address", a)
		}
	}
	return list
}

func itemAt(v *node, i int) *node {
	if v.kind == seqNode && i < len(v.items) {
		return v.items[i]
	}
	return v
}

// otherKey decodes set, subprocess and end steps.
func (sc *stepCtx) otherKey(key string, v *node, p string) {
	c, s := sc.c, sc.s
	switch key {
	case "values":
		s.Set = c.assignments(v, p, runScope, nil)
	case "definition":
		if s.Subprocess == nil {
			s.Subprocess = &Subprocess{}
		}
		s.Subprocess.Definition = c.str(v, p)
		if d := s.Subprocess.Definition; d != "" && !keyRE.MatchString(d) {
			c.errs.at(v, p, "definition key %q must be lowercase letters, digits and dashes", d)
		}
	case "version":
		sc.subprocess().Version = c.integer(v, p, 1, 1_000_000)
	case "inputs":
		sc.subprocess().Inputs = c.assignments(v, p, runScope, nil)
	case "outcome":
		s.Outcome = c.str(v, p)
	case "outputs":
		s.Outputs = c.assignments(v, p, runScope, nil)
	}
}

func (sc *stepCtx) subprocess() *Subprocess {
	if sc.s.Subprocess == nil {
		sc.s.Subprocess = &Subprocess{}
	}
	return sc.s.Subprocess
}

// finishOther checks the required keys of the automated kinds.
func (sc *stepCtx) finishOther() {
	c, s, n := sc.c, sc.s, sc.n
	switch s.Kind {
	case KindParallel:
		if len(s.Branches) == 0 {
			c.errs.at(n, sc.path, "a parallel step needs branches")
		}
		if s.Join == "" {
			s.Join = "all"
		}
		if s.Join == "count" && s.JoinCount > len(s.Branches) {
			c.errs.at(n.get("join"), join(sc.path, "join"), "join needs %d branches but there are %d", s.JoinCount, len(s.Branches))
		}
	case KindWait:
		sc.finishWait()
	case KindHTTP:
		if s.HTTP == nil || s.HTTP.URL == "" {
			c.errs.at(n, sc.path, "an http step needs a url")
		}
	case KindNotify:
		sc.finishNotify()
	case KindSet:
		if len(s.Set) == 0 {
			c.errs.at(n, sc.path, "a set step needs values")
		}
	case KindSubprocess:
		if s.Subprocess == nil || s.Subprocess.Definition == "" {
			c.errs.at(n, sc.path, "a subprocess step needs a definition (the key of the definition to run)")
		}
	case KindEnd:
		if s.Outcome == "" {
			s.Outcome = "completed"
		}
	}
}

func (sc *stepCtx) finishWait() {
	w, c := sc.s.Wait, sc.c
	if w == nil {
		c.errs.at(sc.n, sc.path, "a wait step needs one of: for, until, event")
		return
	}
	set := 0
	for _, b := range []bool{w.For != nil, w.Until != "", w.Event != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		c.errs.at(sc.n, sc.path, "a wait step needs exactly one of: for, until, event")
	}
	if (w.Timeout != nil || w.OnTimeout != "") && w.Event == "" {
		c.errs.at(sc.n, sc.path, "timeout and on_timeout apply only to waiting for an event")
	}
	if len(sc.s.Form) > 0 && w.Event == "" {
		c.errs.at(sc.n.keyNode("form"), join(sc.path, "form"), "a wait step has a form only for an event's data")
	}
}

func (sc *stepCtx) finishNotify() {
	nt, c := sc.s.Notify, sc.c
	if nt == nil || nt.Message == "" {
		c.errs.at(sc.n, sc.path, "a notify step needs a message")
		return
	}
	switch nt.Channel {
	case ChannelEmail:
		if len(nt.To) == 0 && len(nt.Addresses) == 0 {
			c.errs.at(sc.n, sc.path, "an email notification needs to (roles) or addresses")
		}
	case ChannelSlack, ChannelWebhook:
		if (nt.URL == "") == (nt.URLSecret == "") {
			c.errs.at(sc.n, sc.path, "%s notification needs exactly one of url or url_secret", article(nt.Channel))
		}
	}
}
