package definitions

import (
	"net/mail"

	"github.com/google/cel-go/common/types"
)

// A notify step sends an email, a Slack-compatible message or a generic
// webhook. steps.<id>.data is empty, except the error's message after
// on_failure: goto.

// KindNotify sends a message.
const KindNotify StepKind = "notify"

// Notify sends a message.
type Notify struct {
	Channel   string   `json:"channel"`             // "email" (default), "slack" or "webhook"
	To        []string `json:"to,omitempty"`        // role names
	Addresses []string `json:"addresses,omitempty"` // literal email addresses
	URL       string   `json:"url,omitempty"`       // slack/webhook target (template)
	URLSecret string   `json:"url_secret,omitempty"`
	Subject   string   `json:"subject,omitempty"` // template
	Message   string   `json:"message"`           // template
}

// Notify channels.
const (
	ChannelEmail   = "email"
	ChannelSlack   = "slack"
	ChannelWebhook = "webhook"
)

var notifyKind = kind{
	name: KindNotify,
	keys: merge(failureKeys, map[string]decoder{
		"channel": func(sc *stepCtx, v *node, p string) {
			sc.notify().Channel = sc.c.oneOf(v, p, ChannelEmail, ChannelSlack, ChannelWebhook)
		},
		"to":        func(sc *stepCtx, v *node, p string) { sc.notify().To = sc.roles(v, p) },
		"addresses": func(sc *stepCtx, v *node, p string) { sc.notify().Addresses = sc.addresses(v, p) },
		"url": func(sc *stepCtx, v *node, p string) {
			sc.notify().URL = sc.c.tmpl(v, p, runScope)
			sc.checkURL(v, p, sc.s.Notify.URL)
		},
		"url_secret": func(sc *stepCtx, v *node, p string) { sc.notify().URLSecret = sc.c.str(v, p) },
		"subject":    func(sc *stepCtx, v *node, p string) { sc.notify().Subject = sc.c.tmpl(v, p, runScope) },
		"message":    func(sc *stepCtx, v *node, p string) { sc.notify().Message = sc.c.tmpl(v, p, runScope) },
	}),
	finish: (*stepCtx).finishNotify,
	data:   func(d *stepData, _ *Step) { d.add("error", types.StringType) },
	jumps:  failureJump,
}

func (sc *stepCtx) notify() *Notify {
	if sc.s.Notify == nil {
		sc.s.Notify = &Notify{Channel: ChannelEmail}
	}
	return sc.s.Notify
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
