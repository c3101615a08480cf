package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/handoffhq/handoff/definitions"
	"github.com/handoffhq/handoff/postgres"
	"github.com/handoffhq/handoff/workflows"
)

// Problem is an RFC 9457 problem detail, the body of every error response. Operations
// return it for what the caller did wrong; AsProblem maps every other error to one.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists the request fields at fault and why: "data.amount" for a task's
	// form, "inputs.email" for a start form, "items[0].qty" inside a table.
	Errors []FieldError `json:"-"`
	// DefinitionErrors lists what is wrong with a definition source, by position.
	// Both are the member "errors" in JSON.
	DefinitionErrors []DefinitionError `json:"-"`
	// RunID names the run a conflict is about (an extension member), e.g. the active run
	// holding a business key.
	RunID string `json:"run_id,omitempty"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// MarshalJSON writes the problem+json body: Errors or DefinitionErrors as "errors".
func (p *Problem) MarshalJSON() ([]byte, error) {
	type body Problem // without this method
	var errs any
	switch {
	case len(p.Errors) > 0:
		errs = p.Errors
	case len(p.DefinitionErrors) > 0:
		errs = p.DefinitionErrors
	}
	return json.Marshal(struct {
		*body
		Errors any `json:"errors,omitempty"`
	}{(*body)(p), errs})
}

// FieldError names a request field at fault and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldMessages indexes field errors for a form page: by field name with prefix
// removed ("data." for a task's form, "inputs." for a start form; "data.items[0].qty"
// is "items[0].qty"), other fields (such as "outcome") by their own name. Several
// messages for one field are joined with "; ".
func FieldMessages(errs []FieldError, prefix string) map[string]string {
	out := make(map[string]string, len(errs))
	for _, e := range errs {
		name := strings.TrimPrefix(e.Field, prefix)
		if prev, ok := out[name]; ok {
			out[name] = prev + "; " + e.Message
		} else {
			out[name] = e.Message
		}
	}
	return out
}

// DefinitionError is one problem in a definition source, with its position.
type DefinitionError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

func problem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

func invalid(detail string, errs ...FieldError) *Problem {
	p := problem(http.StatusUnprocessableEntity, detail)
	p.Errors = errs
	return p
}

func definitionErrors(l *definitions.ErrorList) []DefinitionError {
	out := make([]DefinitionError, 0, len(l.Errors))
	for _, e := range l.Errors {
		out = append(out, DefinitionError{Line: e.Line, Column: e.Column, Path: e.Path, Message: e.Message})
	}
	return out
}

func fieldErrors(prefix string, errs []definitions.FieldError) []FieldError {
	out := make([]FieldError, 0, len(errs))
	for _, e := range errs {
		out = append(out, FieldError{Field: prefix + e.Field, Message: e.Message})
	}
	return out
}

// AsProblem maps an error an operation returned to the problem the caller is shown:
// the one place where store, definition and Temporal errors become HTTP statuses, for
// every transport. An error it does not know is a 500 that says nothing of its cause;
// internal is then true, and the transport logs err.
func AsProblem(err error) (p *Problem, internal bool) {
	if p = toProblem(err); p != nil {
		return p, false
	}
	return problem(http.StatusInternalServerError, "an internal error occurred; it has been logged"), true
}

// toProblem is AsProblem for the errors it knows; nil for the others.
func toProblem(err error) *Problem {
	var (
		p       *Problem
		he      *echo.HTTPError
		list    *definitions.ErrorList
		appErr  *temporal.ApplicationError
		started *serviceerror.WorkflowExecutionAlreadyStarted
		nf      *serviceerror.NotFound
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &list):
		p := invalid("the definition is invalid")
		p.DefinitionErrors = definitionErrors(list)
		return p
	case errors.Is(err, postgres.ErrNotFound):
		return problem(http.StatusNotFound, "not found")
	case errors.Is(err, postgres.ErrConflict):
		return problem(http.StatusConflict, "it already exists")
	case errors.Is(err, postgres.ErrInvalidCursor):
		return invalid("unknown page token", FieldError{Field: "page_token", Message: "is not a token a page of this list answered"})
	case errors.As(err, &appErr):
		return appProblem(appErr)
	case errors.As(err, &started):
		return problem(http.StatusConflict, "a run with this id is already active")
	case errors.As(err, &nf):
		return problem(http.StatusNotFound, "not found")
	case errors.As(err, &he):
		return problem(he.Code, fmt.Sprint(he.Message))
	case unavailable(err):
		return problem(http.StatusServiceUnavailable, "a backing service is unavailable; retry after a second")
	}
	return nil
}

// appProblem maps the interpreter's typed rejections.
func appProblem(e *temporal.ApplicationError) *Problem {
	switch e.Type() {
	case workflows.ErrTypeInvalidForm:
		var errs []definitions.FieldError
		_ = e.Details(&errs)
		out := fieldErrors("data.", errs)
		for i, fe := range errs {
			if fe.Field == "outcome" { // the request's outcome (a form field of that name reads the same)
				out[i].Field = fe.Field
			}
		}
		return invalid("the form data is invalid", out...)
	case workflows.ErrTypeTaskNotOpen:
		return problem(http.StatusConflict, e.Message())
	case workflows.ErrTypeNotEligible:
		return problem(http.StatusForbidden, e.Message())
	case workflows.ErrTypeBadRequest:
		return invalid(e.Message())
	}
	return nil
}

// errorHandler is Echo's HTTPErrorHandler: problem+json for every error, and a log line
// with the cause for every 5xx (whose cause the client never sees).
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p, internal := AsProblem(err)
		if internal {
			log.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "path", c.Path(), "error", err)
		} else if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "path", c.Path(), "status", p.Status, "error", err)
		}
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="handoff"`)
		}
		if p.Status == http.StatusServiceUnavailable || p.Status == http.StatusTooManyRequests {
			c.Response().Header().Set("Retry-After", retryAfterSeconds)
		}
		body, _ := json.Marshal(p)
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(p.Status)
			return
		}
		_ = c.Blob(p.Status, "application/problem+json", body)
	}
}

// decodeJSON reads a JSON request body into v, rejecting unknown fields, trailing data,
// values of the wrong type and texts that cannot be stored (text.go) with errors that
// name the field.
func decodeJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonProblem(err)
	}
	if err := checkJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return problem(http.StatusBadRequest, "the body holds more than one JSON value")
	}
	return nil
}

func jsonProblem(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		tooBig *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooBig):
		return problem(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case errors.As(err, &syntax):
		return problem(http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, err))
	case errors.As(err, &typ):
		return invalid("a field has the wrong type",
			FieldError{Field: typ.Field, Message: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind()), typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid("the body has an unknown field", FieldError{Field: name, Message: "unknown field"})
	case errors.Is(err, io.EOF):
		return problem(http.StatusBadRequest, "the body is empty; a JSON object is required")
	}
	return problem(http.StatusBadRequest, "malformed JSON: "+err.Error())
}

// jsonType names a Go kind as the JSON type a client must send.
func jsonType(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + k.String()
}
