package definitions

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// toNative converts a CEL value to plain Go data; every number becomes float64.
func toNative(v ref.Val) any {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Double:
		return float64(x)
	case types.Int:
		return float64(x)
	case types.Uint:
		return float64(x)
	case types.Bool:
		return bool(x)
	case types.Timestamp:
		return x.Time
	case types.Duration:
		return x.Duration
	case types.Null:
		return nil
	case *types.Optional:
		if !x.HasValue() {
			return nil
		}
		return toNative(x.GetValue())
	case traits.Lister:
		return listToNative(x)
	case traits.Mapper:
		return mapToNative(x)
	}
	return v.Value()
}

func listToNative(l traits.Lister) []any {
	n := int(l.Size().(types.Int))
	out := make([]any, 0, n)
	for it := l.Iterator(); it.HasNext() == types.True; {
		out = append(out, toNative(it.Next()))
	}
	return out
}

func mapToNative(m traits.Mapper) map[string]any {
	out := map[string]any{}
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		key, ok := toNative(k).(string)
		if !ok {
			key = formatValue(toNative(k), time.UTC)
		}
		out[key] = toNative(m.Get(k))
	}
	return out
}

// appendFormatted renders a value for a template.
func appendFormatted(buf []byte, v any, loc *time.Location) []byte {
	switch x := v.(type) {
	case nil:
		return buf
	case string:
		return append(buf, x...)
	case float64:
		return strconv.AppendFloat(buf, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(buf, x)
	case time.Time:
		return appendTime(buf, x, loc)
	case []any:
		for i, el := range x {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendFormatted(buf, el, loc)
		}
		return buf
	case time.Duration:
		return append(buf, x.String()...)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return append(buf, "?"...)
	}
	return append(buf, b...)
}

// appendTime writes a date when the time is midnight in loc, else RFC 3339 in loc.
func appendTime(buf []byte, t time.Time, loc *time.Location) []byte {
	t = t.In(loc)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.AppendFormat(buf, time.DateOnly)
	}
	return t.AppendFormat(buf, time.RFC3339)
}

func formatValue(v any, loc *time.Location) string {
	return string(appendFormatted(nil, v, loc))
}
