package definitions

// Program is the immutable, JSON-serialisable compiled definition the interpreter
// runs. It travels in Temporal workflow input, so it carries no source text.
// Treat a Program as read-only: the Engine caches work keyed by its Hash.
type Program struct {
	Key         string `json:"key"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Hash is "sha256:<hex>" over the source bytes: same source, same hash.
	Hash string `json:"hash"`
	// Summary is a template shown in inboxes and Temporal Web.
	Summary string `json:"summary,omitempty"`
	// TimeZone is the IANA zone for dates, due dates and business days; "UTC" by default.
	TimeZone string `json:"time_zone,omitempty"`
	// Holidays are non-working dates ("2027-12-25") for business-day arithmetic.
	Holidays []string `json:"holidays,omitempty"`
	// BusinessKey is a CEL expression over inputs naming the run's business key
	// ("one active run per vendor"); "" means none.
	BusinessKey string    `json:"business_key,omitempty"`
	Inputs      []Field   `json:"inputs,omitempty"`
	Roles       []Role    `json:"roles,omitempty"`
	Triggers    []Trigger `json:"triggers,omitempty"`
	Steps       []Step    `json:"steps"`
}

// Step finds a step by id anywhere in the program, including parallel branches.
// It returns nil when there is none.
func (p *Program) Step(id string) *Step {
	return findStep(p.Steps, id)
}

func findStep(steps []Step, id string) *Step {
	for i := range steps {
		if steps[i].ID == id {
			return &steps[i]
		}
		for j := range steps[i].Branches {
			if s := findStep(steps[i].Branches[j].Steps, id); s != nil {
				return s
			}
		}
	}
	return nil
}

// Role finds a role by name; nil when there is none.
func (p *Program) Role(name string) *Role {
	for i := range p.Roles {
		if p.Roles[i].Name == name {
			return &p.Roles[i]
		}
	}
	return nil
}

// Trigger finds a webhook trigger by name; nil when there is none.
func (p *Program) Trigger(name string) *Trigger {
	for i := range p.Triggers {
		if p.Triggers[i].Name == name {
			return &p.Triggers[i]
		}
	}
	return nil
}

// Role is a named set of people resolved when a task opens. Exactly one of the
// fields besides Name is set.
type Role struct {
	Name  string   `json:"name"`
	User  string   `json:"user,omitempty"`  // one user id
	Users []string `json:"users,omitempty"` // several user ids
	Group string   `json:"group,omitempty"` // any member may claim
	// Expression is CEL over run data yielding a user id or a list of user ids.
	Expression string `json:"expression,omitempty"`
	// ManagerOf is CEL yielding a user id whose manager is meant; the directory
	// lookup happens in an activity.
	ManagerOf string `json:"manager_of,omitempty"`
}

// Trigger starts runs from a signed webhook: POST /v1/hooks/{key}/{name}.
type Trigger struct {
	Name string `json:"name"`
	// When is a CEL bool over payload and headers; false means "ignore this delivery".
	When string `json:"when,omitempty"`
	// Inputs maps input field ids to CEL over payload and headers, in source order.
	Inputs []Assignment `json:"inputs,omitempty"`
	// BusinessKey is CEL over payload and headers; "" falls back to the program's.
	BusinessKey string `json:"business_key,omitempty"`
}

// Assignment is a named CEL expression; order is the source order.
type Assignment struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// Field is one form field (task forms, the start form, event payloads).
type Field struct {
	ID    string `json:"id"`
	Label string `json:"label,omitempty"`
	// Type is one of the FieldType constants.
	Type     string `json:"type"`
	Help     string `json:"help,omitempty"`
	Required bool   `json:"required,omitempty"`
	Default  any    `json:"default,omitempty"`
	// Min and Max bound numbers by value, text by length in characters, and
	// multi_select and table by count.
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Pattern string   `json:"pattern,omitempty"` // RE2, must match the whole text
	Options []Option `json:"options,omitempty"` // select and multi_select
	// VisibleWhen is CEL bool over run data and `form`; hidden fields never block
	// completion and are dropped from stored data.
	VisibleWhen string  `json:"visible_when,omitempty"`
	Validate    []Rule  `json:"validate,omitempty"`
	Fields      []Field `json:"fields,omitempty"` // table columns
}

// Field types.
const (
	TypeText        = "text"
	TypeLongText    = "long_text"
	TypeNumber      = "number"
	TypeBoolean     = "boolean"
	TypeDate        = "date"
	TypeDatetime    = "datetime"
	TypeSelect      = "select"
	TypeMultiSelect = "multi_select"
	TypeEmail       = "email"
	TypeURL         = "url"
	TypeUser        = "user"
	TypeFile        = "file"
	TypeTable       = "table"
)

// FieldTypes lists every field type in documentation order.
var FieldTypes = []string{TypeText, TypeLongText, TypeNumber, TypeBoolean, TypeDate, TypeDatetime,
	TypeSelect, TypeMultiSelect, TypeEmail, TypeURL, TypeUser, TypeFile, TypeTable}

// Option is one choice of a select or multi_select field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// Rule is a CEL bool over `form` (and `row` inside a table) that must hold, with
// the message shown when it does not.
type Rule struct {
	Expr    string `json:"expr"`
	Message string `json:"message"`
}
