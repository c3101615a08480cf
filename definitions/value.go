package definitions

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// patterns caches compiled field patterns; compiled regexps are safe to share.
var patterns sync.Map

func compilePattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}

var checksumRE = regexp.MustCompile(`^(sha256|sha512|sha1|md5):[0-9a-fA-F]+$`)

// isEmpty reports whether a value counts as not given for "required".
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// checkValue validates a present value against its field's type and bounds,
// returning a message or "". Table rows are checked by the caller.
func checkValue(f *Field, v any, loc *time.Location) string {
	switch f.Type {
	case TypeNumber:
		n, ok := toFloat(v)
		if !ok {
			return "must be a number"
		}
		return checkBounds(f, n, "", "")
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return "must be true or false"
		}
		return ""
	case TypeMultiSelect:
		return checkMulti(f, v)
	case TypeFile:
		return checkFile(v)
	case TypeTable:
		rows, ok := v.([]any)
		if !ok {
			return "must be a list of rows"
		}
		return checkBounds(f, float64(len(rows)), " rows", " rows")
	}
	s, ok := v.(string)
	if !ok {
		return "must be text"
	}
	return checkText(f, s, loc)
}

func checkText(f *Field, s string, loc *time.Location) string {
	switch f.Type {
	case TypeDate, TypeDatetime:
		if _, err := parseTime(f.Type, s, loc); err != nil {
			if f.Type == TypeDate {
				return "must be a date written YYYY-MM-DD"
			}
			return "must be a date and time such as 2027-01-04T09:00:00Z"
		}
		return ""
	case TypeSelect:
		if !hasOption(f, s) {
			return "must be one of: " + optionList(f)
		}
		return ""
	case TypeEmail:
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			return "must be an email address"
		}
	case TypeURL:
		if !isWebURL(s) {
			return "must be an http or https URL"
		}
	case TypeUser:
		if strings.TrimSpace(s) == "" {
			return "must be a user id"
		}
	}
	if msg := checkBounds(f, float64(utf8.RuneCountInString(s)), " characters", " characters"); msg != "" {
		return msg
	}
	if f.Pattern != "" {
		if re, err := compilePattern(f.Pattern); err == nil && !re.MatchString(s) {
			return "must match the pattern " + f.Pattern
		}
	}
	return ""
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func checkBounds(f *Field, n float64, unitMin, unitMax string) string {
	if f.Min != nil && n < *f.Min {
		return fmt.Sprintf("must be at least %v%s", *f.Min, unitMin)
	}
	if f.Max != nil && n > *f.Max {
		return fmt.Sprintf("must be at most %v%s", *f.Max, unitMax)
	}
	return ""
}

func hasOption(f *Field, s string) bool {
	for _, o := range f.Options {
		if o.Value == s {
			return true
		}
	}
	return false
}

func optionList(f *Field) string {
	vals := make([]string, len(f.Options))
	for i, o := range f.Options {
		vals[i] = o.Value
	}
	return strings.Join(vals, ", ")
}

func checkMulti(f *Field, v any) string {
	list, ok := v.([]any)
	if !ok {
		if ss, isStrings := v.([]string); isStrings {
			for _, s := range ss {
				list = append(list, s)
			}
		} else {
			return "must be a list of choices"
		}
	}
	seen := map[string]bool{}
	for _, el := range list {
		s, ok := el.(string)
		if !ok || !hasOption(f, s) {
			return fmt.Sprintf("%v is not one of: %s", el, optionList(f))
		}
		if seen[s] {
			return fmt.Sprintf("%q is chosen twice", s)
		}
		seen[s] = true
	}
	return checkBounds(f, float64(len(list)), " choices", " choices")
}

func checkFile(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return "must be a file: {url, checksum}"
	}
	u, _ := m["url"].(string)
	if !isWebURL(u) {
		return "must have an http or https url"
	}
	sum, _ := m["checksum"].(string)
	if !checksumRE.MatchString(sum) {
		return "must have a checksum such as sha256:<hex digits>"
	}
	var unknown []string
	for k := range m {
		switch k {
		case "url", "checksum", "name", "size", "content_type":
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown) // the same message whatever the map order
		return fmt.Sprintf("has an unknown key %q (allowed: url, checksum, name, size, content_type)", unknown[0])
	}
	return ""
}
