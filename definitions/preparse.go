package definitions

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
)

// Parsing CEL is as costly as parsing the YAML around it, and parsing an
// expression depends on its text only: every environment a definition uses
// extends baseEnv with variables and types, never with parser options or
// macros. So while the YAML is being parsed, a preparser goroutine guesses the
// expression texts from the raw source (the values of expression keys and
// the {{ }} segments of templates, on one line) and parses them. The checker
// takes a preparsed AST when its text matches a guess and parses the text
// itself otherwise: a wrong guess only costs the work of parsing it, and
// results never depend on the guesses or on timing.

// preparseMin is the source size from which guessing and parsing ahead is
// worth a goroutine.
const preparseMin = 16 << 10

// isExprKey reports whether a key's value is a CEL expression.
func isExprKey(k string) bool {
	switch k {
	case "when", "visible_when", "expr", "until", "business_key", "expression", "manager_of", "from":
		return true
	}
	return false
}

type preparsed struct {
	once   sync.Once
	ast    *cel.Ast
	failed bool
	taken  atomic.Bool
}

type preparser struct {
	byText map[string]*preparsed
	ready  chan struct{} // closed when byText is complete
	done   chan struct{} // closed when the goroutine has returned
	stop   atomic.Bool
}

// startPreparse starts guessing and parsing the expressions of src; nil when
// src is too small to be worth it.
func startPreparse(src []byte) *preparser {
	if len(src) < preparseMin {
		return nil
	}
	env, err := baseEnv()
	if err != nil {
		return nil
	}
	pp := &preparser{ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(pp.done)
		texts := pp.guess(src)
		for _, t := range texts {
			if pp.stop.Load() {
				return
			}
			pp.byText[t].parse(env, t)
		}
	}()
	return pp
}

// guess fills byText with the texts of src that look like expressions and
// closes ready, whatever happens.
func (pp *preparser) guess(src []byte) (texts []string) {
	defer close(pp.ready)
	defer func() {
		if recover() != nil {
			texts, pp.byText = nil, nil
		}
	}()
	texts = exprCandidates(src)
	pp.byText = make(map[string]*preparsed, len(texts))
	for _, t := range texts {
		pp.byText[t] = &preparsed{}
	}
	return texts
}

func (p *preparsed) parse(env *cel.Env, text string) {
	p.once.Do(func() {
		defer func() {
			if recover() != nil {
				p.ast, p.failed = nil, true
			}
		}()
		ast, iss := env.Parse(text)
		p.ast, p.failed = ast, iss.Err() != nil
	})
}

// take returns the parsed AST of text if it was guessed, parsing it now if the
// goroutine has not come to it yet; nil otherwise. Each AST is handed out once:
// checking changes it.
func (pp *preparser) take(text string) *cel.Ast {
	if pp == nil {
		return nil
	}
	<-pp.ready
	p := pp.byText[text]
	if p == nil || p.taken.Swap(true) {
		return nil
	}
	env, err := baseEnv()
	if err != nil {
		return nil
	}
	p.parse(env, text)
	if p.failed {
		return nil
	}
	return p.ast
}

// finish stops the goroutine and waits for it.
func (pp *preparser) finish() {
	if pp == nil {
		return
	}
	pp.stop.Store(true)
	<-pp.done
}

// exprCandidates guesses the expression texts of a definition from its lines.
func exprCandidates(src []byte) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] && !strings.ContainsRune(s, '\\') {
			seen[s] = true
			out = append(out, s)
		}
	}
	text := string(src) // one copy; candidates are substrings of it
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			i = len(text)
		}
		line := text[:i]
		text = text[min(i+1, len(text)):]
		for off := 0; ; {
			j := strings.Index(line[off:], ": ")
			if j < 0 {
				break
			}
			j += off
			off = j + 2
			k := j
			for k > 0 && (line[k-1] == '_' || 'a' <= line[k-1] && line[k-1] <= 'z') {
				k--
			}
			if (k == 0 || strings.IndexByte(" {,", line[k-1]) >= 0) && isExprKey(line[k:j]) {
				add(scalarAt(line[off:], strings.IndexByte(line[:k], '{') >= 0))
			}
		}
		for off := 0; ; {
			j := strings.Index(line[off:], "{{")
			if j < 0 {
				break
			}
			j += off
			end := closeIndex(line, j+2)
			if end < 0 {
				break
			}
			add(line[j+2 : end])
			off = end + 2
		}
	}
	return out
}

// scalarAt reads the YAML scalar at the start of s (one line); "" for what it
// cannot read simply (block scalars, escapes).
func scalarAt(s string, flow bool) string {
	s = strings.TrimLeft(s, " ")
	switch {
	case s == "":
		return ""
	case s[0] == '"':
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			return s[1 : end+1]
		}
		return ""
	case s[0] == '\'':
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				return b.String()
			}
			b.WriteByte(s[i])
		}
		return ""
	case s[0] == '|' || s[0] == '>':
		return ""
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	if flow {
		if i := strings.IndexAny(s, ",}"); i >= 0 {
			s = s[:i]
		}
	}
	return s
}
