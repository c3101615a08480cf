package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoffhq/handoff/api"
	"github.com/handoffhq/handoff/definitions"
)

// The form is one piece for every page that shows one (a task's form, a start form, a
// definition's form preview): the template "form-fields" (templates/form.html) renders
// a formView, which newForm builds from the API's fields, the values as the browser
// posts them and the API's field errors. What a form means (which fields show, what is
// valid, defaults) is the API's answer (GetTask, ResolveTaskForm, ResolveStartForm,
// CompleteTask, StartRun): this file only turns HTML form values into the JSON values
// a submission carries and back.
//
// Inputs are named by the field's path: "f.amount", a table's cell "f.items.2.qty", a
// table's row count "f.items.n", a file's parts "f.doc.url" and "f.doc.checksum".

// formPrefix starts the name of every input of a form's fields.
const formPrefix = "f."

// formView is a form's fields as "form-fields" renders them.
type formView struct {
	// Resolve is where the fields post as the person types (the page's resolve
	// endpoint), which answers the fields again; "" for a form that is only shown.
	Resolve string
	// Disabled shows the inputs without letting them be changed (a preview).
	Disabled bool
	Fields   []fieldView
}

// fieldView is one field with its input's name, value and message.
type fieldView struct {
	api.FormField
	Name    string // the input's name
	ID      string // the input's element id
	Visible bool
	Error   string
	Value   string   // a text-like value, as typed
	Values  []string // a multi_select's choices
	Checked bool     // a boolean
	URL     string   // a file reference's parts
	Sum     string
	Rows    []rowView // a table's rows
}

type rowView struct {
	Index  int
	Remove string // the value of the remove button: "remove:" + the row's name
	Cells  []fieldView
}

// newForm builds the view of fields for the posted values vals; errs are the API's
// field messages (api.FieldMessages) by the name the API gives a field ("amount",
// "items[0].qty"); hidden is the API's hidden list in the same names.
func newForm(fields []api.FormField, vals url.Values, errs map[string]string, hidden []string) formView {
	h := make(map[string]bool, len(hidden))
	for _, n := range hidden {
		h[n] = true
	}
	return formView{Fields: fieldViews(fields, vals, errs, h, formPrefix, "")}
}

func fieldViews(fields []api.FormField, vals url.Values, errs map[string]string, hidden map[string]bool, prefix, apiPrefix string) []fieldView {
	out := make([]fieldView, 0, len(fields))
	for _, f := range fields {
		name := prefix + f.ID
		apiName := apiPrefix + f.ID
		v := fieldView{FormField: f, Name: name, ID: inputID(name), Error: errs[apiName], Value: vals.Get(name)}
		v.Visible = !hidden[apiName] && (f.Visible == nil || *f.Visible)
		switch f.Type {
		case definitions.TypeMultiSelect:
			v.Values = vals[name]
		case definitions.TypeBoolean:
			v.Checked = v.Value == "true"
		case definitions.TypeFile:
			v.URL, v.Sum = vals.Get(name+".url"), vals.Get(name+".checksum")
		case definitions.TypeTable:
			n := rowCount(vals, name)
			for i := range n {
				rp := fmt.Sprintf("%s.%d.", name, i)
				v.Rows = append(v.Rows, rowView{Index: i, Remove: "remove:" + strings.TrimSuffix(rp, "."),
					Cells: fieldViews(f.Fields, vals, errs, hidden, rp, fmt.Sprintf("%s[%d].", apiName, i))})
			}
		}
		out = append(out, v)
	}
	return out
}

// inputID is an element id for an input name: "f.items.0.qty" is "f-items-0-qty".
func inputID(name string) string { return strings.ReplaceAll(name, ".", "-") }

func rowCount(vals url.Values, name string) int {
	n, err := strconv.Atoi(vals.Get(name + ".n"))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, maxRows)
}

// maxRows bounds the rows a table's form posts (the API bounds the payload again).
const maxRows = 500

// formValues are the input values that show data (a form's defaults, a task's data)
// as the form's inputs.
func formValues(fields []api.FormField, data map[string]any, useDefaults bool, loc *time.Location) url.Values {
	vals := url.Values{}
	putValues(vals, fields, data, useDefaults, formPrefix, loc)
	return vals
}

func putValues(vals url.Values, fields []api.FormField, data map[string]any, useDefaults bool, prefix string, loc *time.Location) {
	for _, f := range fields {
		name := prefix + f.ID
		v, ok := data[f.ID]
		if !ok && useDefaults {
			v, ok = f.Default, f.Default != nil
		}
		if !ok {
			if f.Type == definitions.TypeTable {
				vals.Set(name+".n", "0")
			}
			continue
		}
		switch f.Type {
		case definitions.TypeMultiSelect:
			if list, ok := v.([]any); ok {
				for _, el := range list {
					vals.Add(name, fmt.Sprint(el))
				}
			}
		case definitions.TypeBoolean:
			if b, _ := v.(bool); b {
				vals.Set(name, "true")
			}
		case definitions.TypeDatetime:
			s := fmt.Sprint(v)
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				s = t.In(loc).Format(datetimeLocal)
			}
			vals.Set(name, s)
		case definitions.TypeFile:
			if m, ok := v.(map[string]any); ok {
				vals.Set(name+".url", fmt.Sprint(m["url"]))
				vals.Set(name+".checksum", fmt.Sprint(m["checksum"]))
			}
		case definitions.TypeTable:
			rows, _ := v.([]any)
			vals.Set(name+".n", strconv.Itoa(len(rows)))
			for i, r := range rows {
				row, _ := r.(map[string]any)
				putValues(vals, f.Fields, row, false, fmt.Sprintf("%s.%d.", name, i), loc)
			}
		default:
			vals.Set(name, fmt.Sprint(v))
		}
	}
}

// datetimeLocal is how <input type="datetime-local"> writes a time.
const datetimeLocal = "2006-01-02T15:04"

// formData turns posted input values into the data a submission sends: a number as a
// number, a boolean as true or false, a datetime in the person's zone as RFC 3339, a
// multi_select as a list, a file as {url, checksum}, a table as rows. A value that
// does not read as its type is sent as typed, for the API to name what is wrong; an
// empty input is left out.
func formData(fields []api.FormField, vals url.Values, loc *time.Location) map[string]any {
	return dataOf(fields, vals, formPrefix, loc)
}

func dataOf(fields []api.FormField, vals url.Values, prefix string, loc *time.Location) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		name := prefix + f.ID
		s := vals.Get(name)
		switch f.Type {
		case definitions.TypeBoolean:
			out[f.ID] = s == "true"
		case definitions.TypeMultiSelect:
			if list := vals[name]; len(list) > 0 {
				out[f.ID] = toAny(list)
			}
		case definitions.TypeFile:
			u, sum := strings.TrimSpace(vals.Get(name+".url")), strings.TrimSpace(vals.Get(name+".checksum"))
			if u != "" || sum != "" {
				out[f.ID] = map[string]any{"url": u, "checksum": sum}
			}
		case definitions.TypeTable:
			if !vals.Has(name + ".n") {
				continue
			}
			rows := make([]any, 0)
			for i := range rowCount(vals, name) {
				rows = append(rows, dataOf(f.Fields, vals, fmt.Sprintf("%s.%d.", name, i), loc))
			}
			out[f.ID] = rows
		case definitions.TypeNumber:
			if s = strings.TrimSpace(s); s != "" {
				if n, err := strconv.ParseFloat(s, 64); err == nil {
					out[f.ID] = n
				} else {
					out[f.ID] = s
				}
			}
		case definitions.TypeDatetime:
			if s != "" {
				if t, err := time.ParseInLocation(datetimeLocal, s, loc); err == nil {
					out[f.ID] = t.UTC().Format(time.RFC3339)
				} else {
					out[f.ID] = s
				}
			}
		default:
			if s != "" {
				out[f.ID] = s
			}
		}
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// editRows applies a table's add or remove button ("add:f.items",
// "remove:f.items.2") to the posted values: a row added at the end, or the row taken out
// and the later ones moved up.
func editRows(vals url.Values, op string) {
	verb, name, ok := strings.Cut(op, ":")
	if !ok || !strings.HasPrefix(name, formPrefix) {
		return
	}
	switch verb {
	case "add":
		if n := rowCount(vals, name); n < maxRows {
			vals.Set(name+".n", strconv.Itoa(n+1))
		}
	case "remove":
		dot := strings.LastIndexByte(name, '.')
		table, idx := name[:dot], name[dot+1:]
		i, err := strconv.Atoi(idx)
		n := rowCount(vals, table)
		if dot < 0 || err != nil || i < 0 || i >= n {
			return
		}
		moved := url.Values{}
		for k, v := range vals {
			if j, rest, ok := rowOf(k, table); ok && j >= i {
				if j > i {
					moved[fmt.Sprintf("%s.%d.%s", table, j-1, rest)] = v
				}
				delete(vals, k)
			}
		}
		maps.Copy(vals, moved)
		vals.Set(table+".n", strconv.Itoa(n-1))
	}
}

// rowOf splits an input name inside a table's row: "f.items.2.qty" is row 2, "qty".
func rowOf(key, table string) (int, string, bool) {
	rest, ok := strings.CutPrefix(key, table+".")
	if !ok {
		return 0, "", false
	}
	idx, cell, ok := strings.Cut(rest, ".")
	if !ok {
		return 0, "", false
	}
	j, err := strconv.Atoi(idx)
	return j, cell, err == nil
}

// has reports whether list holds v (a multi_select's chosen values).
func has(list []string, v string) bool { return slices.Contains(list, v) }

// show writes a value of data as text: text as it is, anything else as JSON.
func show(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the template escapes
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// stepsWithData are the done steps that have data to show.
func stepsWithData(steps []api.Step) []api.Step {
	var out []api.Step
	for _, st := range steps {
		if len(st.Data) > 0 {
			out = append(out, st)
		}
	}
	return out
}
