package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Limits on what the API accepts, so that everything it accepts can be stored in Postgres
// and Temporal and read back (docs/operations.md#limits). Beyond them a request is a 422
// naming the field (a path parameter, a 404), before anything is written or started.
const (
	// MaxTextBytes caps one text value anywhere in a request body (inputs, form data, event
	// data, comments, reasons, directory fields…), whatever the form's own max says.
	MaxTextBytes = 64 << 10
	// MaxPayloadBytes caps a run's inputs, a completion's form data and an event's data,
	// each as JSON: Temporal stores each in one payload of at most 2 MiB, and a run's state
	// (its inputs, every step's data, its open tasks) must stay readable in one query.
	MaxPayloadBytes = 256 << 10
	// MaxBusinessKeyBytes caps a business key, which becomes part of the run id (at most
	// Temporal's 1000 bytes once escaped) and a search attribute (at most 2 KiB).
	MaxBusinessKeyBytes = 256
	// maxHeaderKeyBytes caps the Idempotency-Key and webhook-id headers.
	maxHeaderKeyBytes = 200
	// maxParamBytes caps a path or query parameter: Temporal's limit on ids.
	maxParamBytes = 1000
)

// unstorable says why s cannot be stored as text, or "" when it can: Postgres text and
// jsonb hold neither a NUL character nor invalid UTF-8, and Temporal's protobuf strings
// must be valid UTF-8. This is the one rule; every entry point applies it through the
// checks below.
func unstorable(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL character (\\u0000), which cannot be stored"
	}
	return ""
}

// badText says why a text value is refused: unstorable, or longer than MaxTextBytes.
func badText(s string) string {
	if why := unstorable(s); why != "" {
		return why
	}
	if len(s) > MaxTextBytes {
		return fmt.Sprintf("is longer than %d bytes", MaxTextBytes)
	}
	return ""
}

// checkValue refuses a decoded value (inputs mapped from a webhook, a computed business
// key…) holding a text, or a member name, that badText refuses, naming it under field.
func checkValue(field string, v any) *FieldError {
	switch v := v.(type) {
	case string:
		if why := badText(v); why != "" {
			return &FieldError{Field: field, Message: why}
		}
	case map[string]any:
		for k, e := range v {
			if why := unstorable(k); why != "" {
				return &FieldError{Field: field, Message: "has a member name that " + why}
			}
			if fe := checkValue(field+"."+k, e); fe != nil {
				return fe
			}
		}
	case []any:
		for i, e := range v {
			if fe := checkValue(fmt.Sprintf("%s[%d]", field, i), e); fe != nil {
				return fe
			}
		}
	}
	return nil
}

// checkPayload refuses a value whose JSON is larger than MaxPayloadBytes, or that holds a
// text checkValue refuses.
func checkPayload(field string, v any) error {
	if fe := checkValue(field, v); fe != nil {
		return invalid("a text cannot be stored", *fe)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("measure %s: %w", field, err)
	}
	if len(b) > MaxPayloadBytes {
		return invalid(field+" is too large", FieldError{Field: field,
			Message: fmt.Sprintf("is %d bytes as JSON; at most %d are accepted", len(b), MaxPayloadBytes)})
	}
	return nil
}

// checkJSONText refuses a JSON body holding a text (a value or a member name) that
// badText refuses, naming its path (inputs.name, data.items[2].note). Malformed JSON is
// left to the decoder.
func checkJSONText(body []byte) error {
	invalidAt := -1
	if !utf8.Valid(body) {
		invalidAt = firstInvalidUTF8(body)
	} else if len(body) <= MaxTextBytes && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil // nothing to find: the common case costs one pass over the body
	}
	if fe := scanJSONText(body, invalidAt); fe != nil {
		return invalid("a text cannot be stored", *fe)
	}
	return nil
}

// jsonFrame is an open object or array while scanning.
type jsonFrame struct {
	object  bool
	wantKey bool   // object: the next string is a member name
	key     string // object: the current member
	index   int    // array: the current element
}

// scanJSONText walks the tokens of body and returns the first text badText refuses, or
// the string token holding the invalid UTF-8 byte at invalidAt (>= 0).
func scanJSONText(body []byte, invalidAt int) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []jsonFrame
	path := func(member string) string {
		var b strings.Builder
		for _, f := range stack[:len(stack)-1] {
			writePathPart(&b, f)
		}
		if top := stack[len(stack)-1]; top.object {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(member)
		} else {
			writePathPart(&b, top)
		}
		return b.String()
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		end := dec.InputOffset()
		holdsInvalid := invalidAt >= int(start) && invalidAt < int(end)
		var top *jsonFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			top.key, top.wantKey = s, false
			why := unstorable(s)
			if holdsInvalid {
				why = "is not valid UTF-8"
			}
			if why != "" {
				return &FieldError{Field: path(strconv.Quote(s)), Message: "has a member name that " + why}
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, jsonFrame{object: tok == json.Delim('{'), wantKey: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if s, ok := tok.(string); ok && top != nil {
				why := badText(s)
				if holdsInvalid {
					why = "is not valid UTF-8"
				}
				if why != "" {
					return &FieldError{Field: path(top.key), Message: why}
				}
			}
		}
		if len(stack) > 0 { // a value ended: move to the next member or element
			if top := &stack[len(stack)-1]; top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		}
	}
}

func writePathPart(b *strings.Builder, f jsonFrame) {
	if f.object {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
		return
	}
	fmt.Fprintf(b, "[%d]", f.index)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// firstInvalidUTF8 is the offset of the first byte of b that is not valid UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// checkParams refuses, before any handler runs, a path parameter that cannot name
// anything (404: every id — run, task, definition key, schedule… — is at most 1000 bytes
// of printable ASCII), a query parameter or an id header that cannot be stored or is too
// long (422 naming it).
func checkParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for i, name := range c.ParamNames() {
			if v := c.ParamValues()[i]; !printableASCII(v) || len(v) > maxParamBytes {
				return problem(http.StatusNotFound, fmt.Sprintf("no such %s: it cannot be an id", name))
			}
		}
		for name, values := range c.QueryParams() {
			for _, v := range append([]string{name}, values...) {
				if why := unstorable(v); why != "" {
					return invalid("a query parameter cannot be read", FieldError{Field: name, Message: why})
				}
				if len(v) > maxParamBytes {
					return invalid("a query parameter is too long", FieldError{Field: name,
						Message: fmt.Sprintf("must be at most %d bytes", maxParamBytes)})
				}
			}
		}
		for _, name := range []string{"Idempotency-Key", "webhook-id"} {
			v := c.Request().Header.Get(name)
			if why := unstorable(v); why != "" {
				return invalid("the "+name+" header cannot be stored", FieldError{Field: name, Message: why})
			}
			if len(v) > maxHeaderKeyBytes {
				return invalid(name+" is too long", FieldError{Field: name,
					Message: fmt.Sprintf("must be at most %d characters", maxHeaderKeyBytes)})
			}
		}
		return next(c)
	}
}
