package definitions

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// stepsValue is `steps` at run time: a map from every step id of the program
// to its record, built lazily per key. Steps that have not run yet have an
// empty outcome, status and data, so guards over them never fail.
type stepsValue struct {
	a     *activation
	index map[string]*Step
	ids   []string
	cache map[string]ref.Val
}

var _ traits.Mapper = (*stepsValue)(nil)

func (s *stepsValue) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return nil, false
	}
	id := string(k)
	if v, ok := s.cache[id]; ok {
		return v, true
	}
	step, ok := s.index[id]
	if !ok {
		return nil, false
	}
	sv := s.a.v.Steps[id]
	data := sv.Data
	if len(step.Form) > 0 {
		data = normalise(data, step.Form, s.a.loc)
	}
	v := types.DefaultTypeAdapter.NativeToValue(map[string]any{"data": orEmpty(data), "outcome": sv.Outcome,
		"completed_by": sv.CompletedBy, "completed_at": sv.CompletedAt, "status": sv.Status})
	if s.cache == nil {
		s.cache = map[string]ref.Val{}
	}
	s.cache[id] = v
	return v, true
}

func (s *stepsValue) Get(key ref.Val) ref.Val {
	if v, ok := s.Find(key); ok {
		return v
	}
	return types.NewErr("no such step: %v", key)
}

func (s *stepsValue) Contains(key ref.Val) ref.Val {
	_, ok := s.Find(key)
	return types.Bool(ok)
}

func (s *stepsValue) Size() ref.Val { return types.Int(len(s.ids)) }

func (s *stepsValue) Iterator() traits.Iterator {
	return types.NewStringList(types.DefaultTypeAdapter, s.ids).Iterator()
}

func (s *stepsValue) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("steps cannot be converted")
}

func (s *stepsValue) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return types.MapType
	}
	return types.NewErr("steps cannot be converted to %v", t)
}

func (s *stepsValue) Equal(other ref.Val) ref.Val { return types.Bool(other == s) }

func (s *stepsValue) Type() ref.Type { return types.MapType }

func (s *stepsValue) Value() any { return s }
