package definitions

import (
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// Names of the object types every environment knows.
const (
	typeRun      = "handoff.Run"
	typeFile     = "handoff.File"
	typeResponse = "handoff.Response"
	typeInputs   = "handoff.Inputs"
	typeSteps    = "handoff.Steps"
)

// structType is an object type declared for CEL checking. At run time the values
// are plain Go maps: CEL selects their fields by key.
type structType struct {
	names []string
	types []*types.Type  // types[i] is the type of names[i]
	index map[string]int // only for types with many fields: small ones are searched
}

// structIndexFrom is the number of fields from which a map finds them.
const structIndexFrom = 9

func newStruct() *structType { return &structType{} }

// newStructSize makes room for n fields (a definition declares a struct per
// step and one with a field per step).
func newStructSize(n int) *structType {
	s := &structType{names: make([]string, 0, n), types: make([]*types.Type, 0, n)}
	if n >= structIndexFrom {
		s.index = make(map[string]int, n)
	}
	return s
}

// add declares a field; declaring it again changes its type, not its place.
func (s *structType) add(name string, t *types.Type) {
	if i, ok := s.find(name); ok {
		s.types[i] = t
		return
	}
	s.names, s.types = append(s.names, name), append(s.types, t)
	switch {
	case s.index != nil:
		s.index[name] = len(s.names) - 1
	case len(s.names) >= structIndexFrom:
		s.index = make(map[string]int, cap(s.names))
		for i, n := range s.names {
			s.index[n] = i
		}
	}
}

func (s *structType) find(name string) (int, bool) {
	if s.index != nil {
		i, ok := s.index[name]
		return i, ok
	}
	for i, n := range s.names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// field returns the type of a declared field.
func (s *structType) field(name string) (*types.Type, bool) {
	i, ok := s.find(name)
	if !ok {
		return nil, false
	}
	return s.types[i], true
}

// provider is a types.Provider that knows the object types of one definition
// and defers everything else to the environment it extends.
type provider struct {
	types.Provider
	structs map[string]*structType
	shapes  map[string]*types.Type // form types by prefix and signature
	next    int
}

func newProvider(base types.Provider) *provider {
	return &provider{Provider: base, structs: map[string]*structType{}, shapes: map[string]*types.Type{}}
}

func (p *provider) declare(name string, s *structType) *types.Type {
	p.structs[name] = s
	return types.NewObjectType(name)
}

// anon declares an object type with a generated name.
func (p *provider) anon(prefix string, s *structType) *types.Type {
	p.next++
	return p.declare("handoff."+prefix+strconv.Itoa(p.next), s)
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.structs[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Provider.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if s, ok := p.structs[name]; ok {
		return s.names, true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if s, ok := p.structs[name]; ok {
		t, ok := s.field(field)
		if !ok {
			return nil, false
		}
		return &types.FieldType{Type: t}, true
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue refuses to build handoff objects inside expressions.
func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if strings.HasPrefix(name, "handoff.") {
		return types.NewErr("cannot create %s values", name)
	}
	return p.Provider.NewValue(name, fields)
}

// staticStructs are the object types shared by every definition.
func staticStructs() map[string]*structType {
	run := newStruct()
	for _, f := range []string{"id", "started_by", "definition"} {
		run.add(f, types.StringType)
	}
	run.add("started_at", types.TimestampType)
	run.add("version", types.IntType)
	file := newStruct()
	for _, f := range []string{"url", "checksum", "name", "content_type"} {
		file.add(f, types.StringType)
	}
	file.add("size", types.DoubleType)
	resp := newStruct()
	resp.add("status", types.DoubleType)
	resp.add("body", types.DynType)
	resp.add("headers", types.NewMapType(types.StringType, types.StringType))
	return map[string]*structType{typeRun: run, typeFile: file, typeResponse: resp}
}

// fieldType is the CEL type of a form field's value; tables become lists of
// generated row types.
func (p *provider) fieldType(f *Field) *types.Type {
	switch f.Type {
	case TypeNumber:
		return types.DoubleType
	case TypeBoolean:
		return types.BoolType
	case TypeDate, TypeDatetime:
		return types.TimestampType
	case TypeMultiSelect:
		return types.NewListType(types.StringType)
	case TypeFile:
		return types.NewObjectType(typeFile)
	case TypeTable:
		return types.NewListType(p.formType("Row", f.Fields))
	}
	return types.StringType
}

// formType declares an object type with one field per form field. Forms of
// the same shape get the same type, so they share environments and checks.
func (p *provider) formType(prefix string, fields []Field) *types.Type {
	var b strings.Builder
	b.WriteString(prefix)
	writeFieldSig(&b, fields)
	if t, ok := p.shapes[b.String()]; ok {
		return t
	}
	s := newStructSize(len(fields))
	for i := range fields {
		if fields[i].ID != "" {
			s.add(fields[i].ID, p.fieldType(&fields[i]))
		}
	}
	t := p.anon(prefix, s)
	p.shapes[b.String()] = t
	return t
}

// stepsType declares handoff.Steps: one field per step id, each with data,
// outcome, completed_by, completed_at and status.
func (p *provider) stepsType(prog *Program) *types.Type {
	n := 0
	walkSteps(prog.Steps, func(*Step) { n++ })
	steps := newStructSize(n)
	walkSteps(prog.Steps, func(s *Step) {
		if s.ID == "" {
			return
		}
		st := newStructSize(5)
		st.add("data", p.dataType(s))
		st.add("outcome", types.StringType)
		st.add("completed_by", types.StringType)
		st.add("completed_at", types.TimestampType)
		st.add("status", types.StringType)
		steps.add(s.ID, p.anon("Step", st))
	})
	return p.declare(typeSteps, steps)
}

// dataType is the type of steps.<id>.data, as the step's kind declares it.
func (p *provider) dataType(s *Step) *types.Type {
	d := &stepData{p: p, fields: newStructSize(len(s.Form) + 1)}
	if k := kindOf(s.Kind); k != nil && k.data != nil {
		k.data(d, s)
	}
	if d.open {
		return types.NewMapType(types.StringType, types.DynType)
	}
	return p.anon("Data", d.fields)
}

// walkSteps visits every step, branches included, in source order.
func walkSteps(steps []Step, fn func(*Step)) {
	for i := range steps {
		fn(&steps[i])
		for j := range steps[i].Branches {
			walkSteps(steps[i].Branches[j].Steps, fn)
		}
	}
}
