package definitions

import "github.com/google/cel-go/common/types"

// An http step calls an integration. steps.<id>.data holds the response's
// status (a number) and every save key (values computed with CEL over the
// response, so dyn); after on_failure: goto, the error's message.

// KindHTTP calls an integration.
const KindHTTP StepKind = "http"

// HTTPCall is an integration call. URL, header values and every string inside
// Body are templates. Secrets are referenced by name only and resolved inside the
// activity; they never reach CEL or workflow history.
type HTTPCall struct {
	Method        string       `json:"method"`
	URL           string       `json:"url"`
	Headers       []Header     `json:"headers,omitempty"`
	SecretHeaders []Header     `json:"secret_headers,omitempty"` // Value is a secret name
	Body          any          `json:"body,omitempty"`
	Timeout       *Duration    `json:"timeout,omitempty"` // per attempt; default 30 seconds
	Save          []Assignment `json:"save,omitempty"`    // step data from CEL over `response`
}

// Header is one HTTP header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

var httpKind = kind{
	name: KindHTTP,
	keys: merge(failureKeys, map[string]decoder{
		"method": func(sc *stepCtx, v *node, p string) {
			sc.http().Method = sc.c.oneOf(v, p, "GET", "POST", "PUT", "PATCH", "DELETE")
		},
		"url": func(sc *stepCtx, v *node, p string) {
			sc.http().URL = sc.c.tmpl(v, p, runScope)
			sc.checkURL(v, p, sc.s.HTTP.URL)
		},
		"headers":        func(sc *stepCtx, v *node, p string) { sc.http().Headers = sc.headers(v, p, true) },
		"secret_headers": func(sc *stepCtx, v *node, p string) { sc.http().SecretHeaders = sc.headers(v, p, false) },
		"body":           func(sc *stepCtx, v *node, p string) { sc.http().Body = sc.body(v, p) },
		"timeout":        func(sc *stepCtx, v *node, p string) { sc.http().Timeout = sc.c.durationPtr(v, p) },
		"save": func(sc *stepCtx, v *node, p string) {
			sc.http().Save = sc.c.assignments(v, p, responseScope, nil)
		},
	}),
	finish: func(sc *stepCtx) {
		if sc.s.HTTP == nil || sc.s.HTTP.URL == "" {
			sc.c.errs.at(sc.n, sc.path, "an http step needs a url")
		}
	},
	data: func(d *stepData, s *Step) {
		d.add("status", types.DoubleType)
		d.add("error", types.StringType)
		if s.HTTP != nil {
			d.dyn(s.HTTP.Save)
		}
	},
	jumps: failureJump,
}

func (sc *stepCtx) http() *HTTPCall {
	if sc.s.HTTP == nil {
		sc.s.HTTP = &HTTPCall{Method: "POST"}
	}
	return sc.s.HTTP
}

func (sc *stepCtx) headers(v *node, p string, templated bool) []Header {
	if v.kind != mapNode {
		sc.c.errs.at(v, p, "expected a mapping of header names to values, got %s", describe(v))
		return nil
	}
	out := make([]Header, 0, len(v.keys))
	for i, k := range v.keys {
		hp := join(p, k.text)
		h := Header{Name: k.text}
		if templated {
			h.Value = sc.c.tmpl(v.vals[i], hp, runScope)
		} else {
			h.Value = sc.c.str(v.vals[i], hp)
		}
		out = append(out, h)
	}
	return out
}

// body converts a JSON body, registering every string inside as a template.
func (sc *stepCtx) body(v *node, p string) any {
	switch v.kind {
	case mapNode:
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			m[k.text] = sc.body(v.vals[i], join(p, k.text))
		}
		return m
	case seqNode:
		l := make([]any, len(v.items))
		for i, it := range v.items {
			l[i] = sc.body(it, index(p, i))
		}
		return l
	}
	if _, ok := v.val().(string); ok {
		return sc.c.tmpl(v, p, runScope)
	}
	return yamlToData(v)
}
