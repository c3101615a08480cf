package definitions

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Decoding YAML with yaml.v3 is the larger part of compiling a definition:
// its scanner handles every character through several calls and builds a
// yaml.Node tree that is converted and dropped. Definitions are nearly always
// written in a small part of YAML: block mappings and sequences, one-line
// scalars, literal and folded block scalars, one-line flow collections,
// comments. fastYAML parses that part straight into nodes, and gives up (ok
// false) at the first thing outside it or anything it is not sure of: tabs,
// anchors, aliases, tags, multi-line flow scalars, escapes, quoted keys,
// document markers, numbers other than plain decimals and floats, and every
// kind of error.
// parseYAML then parses with yaml.v3 as before, so fastYAML decides nothing
// but speed: for what it accepts it builds exactly the nodes the yaml.v3 path
// builds (TestFastYAMLMatchesYAMLv3, FuzzFastYAML).

// fastMaxDepth bounds nesting on the fast path (yaml.v3 has its own limits).
const fastMaxDepth = 200

// fastMaxKey is below yaml.v3's 1024-character limit on an implicit key.
const fastMaxKey = 1000

type fastLine struct {
	num    int    // 1-based line number
	indent int    // leading spaces
	s      string // the whole line, without its line break
	ascii  bool   // byte offsets are columns
}

type fastParser struct {
	raw   []string   // every line
	noEOL bool       // the last line has no line break
	lines []fastLine // the lines holding something other than a comment
	i     int        // the current line
	conv  converter  // node allocation and size accounting, as for yaml.v3 nodes
	depth int
}

// fastBail aborts the fast path.
type fastBail struct{}

// fastYAML parses src if it is written in the subset described above.
func fastYAML(src []byte) (root *node, ok bool) {
	p := &fastParser{}
	if !p.split(string(src)) || len(p.lines) == 0 {
		return nil, false
	}
	defer func() {
		// bail ends the fast path this way; anything else going wrong here
		// is left to yaml.v3 too.
		if recover() != nil {
			root, ok = nil, false
		}
	}()
	first := p.lines[0]
	root = p.block(first.indent)
	if p.i != len(p.lines) {
		return nil, false
	}
	return root, true
}

func bail() { panic(fastBail{}) }

// split records the lines that hold content, rejecting characters and lines
// the fast path leaves to yaml.v3.
func (p *fastParser) split(src string) bool {
	p.noEOL = !strings.HasSuffix(src, "\n")
	n := strings.Count(src, "\n") + 1
	p.raw, p.lines = make([]string, 0, n), make([]fastLine, 0, n)
	for num := 1; len(src) > 0; num++ {
		end := strings.IndexByte(src, '\n')
		if end < 0 {
			end = len(src)
		}
		s := src[:end]
		src = src[min(end+1, len(src)):]
		p.raw = append(p.raw, s)
		ascii := true
		for j := 0; j < len(s); j++ {
			switch b := s[j]; {
			case b >= 0x80:
				ascii = false
			case b < 0x20 || b == 0x7f: // tabs, carriage returns and other control characters
				return false
			}
		}
		if !ascii && !fastPrintable(s) {
			return false
		}
		if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") || strings.HasPrefix(s, "%") {
			return false // document markers and directives
		}
		indent := 0
		for indent < len(s) && s[indent] == ' ' {
			indent++
		}
		if indent == len(s) || s[indent] == '#' {
			continue // blank or comment
		}
		p.lines = append(p.lines, fastLine{num: num, indent: indent, s: s, ascii: ascii})
	}
	return true
}

// fastPrintable reports whether s holds only characters yaml.v3 reads as
// printable and not as a line break (it also breaks lines at U+0085, U+2028
// and U+2029).
func fastPrintable(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < 0xA0 && r >= 0x80, r == 0x2028, r == 0x2029, r == 0xFEFF,
			r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

// col is the 1-based column of byte offset off of line l.
func (l *fastLine) col(off int) int {
	if l.ascii {
		return off + 1
	}
	return utf8.RuneCountInString(l.s[:off]) + 1
}

// next moves to the following line; the current one must be used up from off.
func (p *fastParser) next(off int) {
	l := &p.lines[p.i]
	for off < len(l.s) && l.s[off] == ' ' {
		off++
	}
	if off < len(l.s) && (l.s[off] != '#' || l.s[off-1] != ' ') {
		bail()
	}
	p.i++
}

func (p *fastParser) node(l *fastLine, off int) *node {
	n := p.conv.newNode()
	n.kind, n.line, n.col, n.size = scalarNode, l.num, l.col(off), 1
	return n
}

// done accounts for a finished node as converter.node does.
func (p *fastParser) done(n *node) *node {
	if p.conv.total += n.size; p.conv.total > maxNodes*4 || n.size > maxNodes {
		bail()
	}
	return n
}

func (p *fastParser) enter() {
	if p.depth++; p.depth > fastMaxDepth {
		bail()
	}
}

// block parses the mapping or sequence starting at byte off of the current
// line; its further entries are the lines indented by off.
func (p *fastParser) block(off int) *node {
	l := &p.lines[p.i]
	if isDash(l.s, off) {
		return p.sequence(off)
	}
	if _, ok := keyEnd(l.s, off); ok {
		return p.mapping(off)
	}
	bail() // a scalar on a line of its own (a multi-line value), or an error
	return nil
}

func isDash(s string, off int) bool {
	return s[off] == '-' && (off+1 == len(s) || s[off+1] == ' ')
}

// keyEnd finds the ':' ending a plain implicit key starting at off.
func keyEnd(s string, off int) (int, bool) {
	if !plainStart(s, off) {
		return 0, false
	}
	for j := off; j < len(s) && j-off < fastMaxKey; j++ {
		switch s[j] {
		case ':':
			if j+1 == len(s) || s[j+1] == ' ' {
				return j, true
			}
		case '#':
			if s[j-1] == ' ' {
				return 0, false
			}
		}
	}
	return 0, false
}

// plainStart reports whether a plain scalar may start at off; it is stricter
// than YAML about the indicators - ? and :.
func plainStart(s string, off int) bool {
	switch c := s[off]; c {
	case '-':
		if off+1 == len(s) {
			return false
		}
		d := s[off+1]
		return '0' <= d && d <= '9' || d == '.' || 'a' <= d && d <= 'z' || 'A' <= d && d <= 'Z'
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

func (p *fastParser) mapping(off int) *node {
	p.enter()
	defer func() { p.depth-- }()
	out := p.node(&p.lines[p.i], off)
	out.kind = mapNode
	for {
		k, v := p.entry(off)
		out.keys, out.vals = append(out.keys, k), append(out.vals, v)
		if out.size += k.size + v.size; out.size > maxNodes {
			bail()
		}
		if p.i == len(p.lines) {
			break
		}
		l := &p.lines[p.i]
		if l.indent < off {
			break
		}
		if l.indent > off || isDash(l.s, off) {
			bail()
		}
	}
	return p.done(out)
}

// entry parses "key: value" at byte off of the current line.
func (p *fastParser) entry(off int) (k, v *node) {
	l := &p.lines[p.i]
	colon, ok := keyEnd(l.s, off)
	if !ok {
		bail()
	}
	k = p.done(p.plain(l, off, strings.TrimRight(l.s[off:colon], " ")))
	if k.text == "<<" {
		bail() // a merge key
	}
	at := colon + 1
	for at < len(l.s) && l.s[at] == ' ' {
		at++
	}
	if at < len(l.s) && (l.s[at] == '|' || l.s[at] == '>') {
		return k, p.blockScalar(l, at, off)
	}
	if at < len(l.s) && l.s[at] != '#' {
		v, end := p.inline(l, at, false)
		p.next(end)
		return k, v
	}
	p.i++
	if p.i < len(p.lines) {
		switch n := &p.lines[p.i]; {
		case n.indent > off:
			return k, p.block(n.indent)
		case n.indent == off && isDash(n.s, off):
			return k, p.sequence(off) // a sequence may be indented like its key
		}
	}
	// No value: converter.mapping places the null just after the key.
	v = p.conv.newNode()
	v.kind, v.line, v.col, v.size = scalarNode, k.line, k.col+len(k.text)+1, 1
	return k, p.done(v)
}

func (p *fastParser) sequence(off int) *node {
	p.enter()
	defer func() { p.depth-- }()
	l := &p.lines[p.i]
	out := p.node(l, off)
	out.kind = seqNode
	for {
		it := p.item(off)
		out.items = append(out.items, it)
		if out.size += it.size; out.size > maxNodes {
			bail()
		}
		if p.i == len(p.lines) {
			break
		}
		l := &p.lines[p.i]
		if l.indent > off {
			bail()
		}
		if l.indent < off || !isDash(l.s, off) {
			break
		}
	}
	return p.done(out)
}

// item parses the entry of the sequence item "- " at byte off of the current line.
func (p *fastParser) item(off int) *node {
	l := &p.lines[p.i]
	at := off + 1
	for at < len(l.s) && l.s[at] == ' ' {
		at++
	}
	if at == len(l.s) || l.s[at] == '#' {
		p.i++
		if p.i < len(p.lines) && p.lines[p.i].indent > off {
			return p.block(p.lines[p.i].indent)
		}
		bail() // an empty item
	}
	if isDash(l.s, at) {
		return p.sequence(at)
	}
	if _, ok := keyEnd(l.s, at); ok {
		return p.mapping(at)
	}
	if l.s[at] == '|' || l.s[at] == '>' {
		return p.blockScalar(l, at, off)
	}
	v, end := p.inline(l, at, false)
	p.next(end)
	return v
}

// inline parses the scalar or flow collection at byte off of line l,
// returning it and the offset after it.
func (p *fastParser) inline(l *fastLine, off int, flow bool) (*node, int) {
	switch l.s[off] {
	case '"':
		end := strings.IndexByte(l.s[off+1:], '"')
		if end < 0 || strings.IndexByte(l.s[off+1:off+1+end], '\\') >= 0 {
			bail() // multi-line or escaped
		}
		end += off + 1
		n := p.node(l, off)
		n.text, n.str, n.quoted = l.s[off+1:end], true, true
		return p.done(n), end + 1
	case '\'':
		var b strings.Builder
		for j := off + 1; j < len(l.s); j++ {
			if l.s[j] != '\'' {
				b.WriteByte(l.s[j])
				continue
			}
			if j+1 < len(l.s) && l.s[j+1] == '\'' {
				b.WriteByte('\'')
				j++
				continue
			}
			n := p.node(l, off)
			n.text, n.str, n.quoted = b.String(), true, true
			return p.done(n), j + 1
		}
		bail()
	case '{':
		return p.flowMapping(l, off)
	case '[':
		return p.flowSequence(l, off)
	}
	if !plainStart(l.s, off) {
		bail()
	}
	end := off
	for end < len(l.s) {
		c := l.s[end]
		if c == '#' && l.s[end-1] == ' ' {
			break
		}
		if flow && strings.IndexByte(",[]{}?", c) >= 0 {
			break
		}
		if c == ':' && (end+1 == len(l.s) || strings.IndexByte(" ,[]{}", l.s[end+1]) >= 0) {
			bail() // a key where a value is expected
		}
		end++
	}
	text := strings.TrimRight(l.s[off:end], " ")
	return p.done(p.plain(l, off, text)), off + len(text)
}

// plain makes the node of a plain scalar, typed as yaml.v3 resolves it and
// converter.node converts it.
func (p *fastParser) plain(l *fastLine, off int, text string) *node {
	n := p.node(l, off)
	n.text = text
	switch text[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch text {
		case "true", "True", "TRUE":
			n.value = true
		case "false", "False", "FALSE":
			n.value = false
		case "~", "null", "Null", "NULL":
			n.text = ""
		default:
			n.str = true
		}
	case '.':
		switch _, err := strconv.ParseFloat(text, 64); {
		case err == nil, text == ".inf", text == ".Inf", text == ".INF", text == ".nan", text == ".NaN", text == ".NAN":
			bail() // a float
		}
		n.str = true
	case '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		n.value = numberValue(text)
		n.str = n.value == nil
	default:
		n.str = true
	}
	return n
}

// yamlTimestamps are the layouts of yaml.v3's parseTimestamp.
var yamlTimestamps = []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999", "2006-1-2"}

// numberValue returns what yaml.v3 resolves a plain scalar starting with a
// sign or a digit to: an int64 for a plain decimal, a float64 for a float,
// nil for text. It bails for everything else it resolves to non-text (other
// integer notations, infinities).
func numberValue(text string) any {
	if isPlainDecimal(text) {
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return i
		}
		bail()
	}
	if strings.ContainsAny(text, " ,;/()") {
		return nil // text: no number below holds these, and timestamps are kept as text (a shortcut for "3 business days")
	}
	plain := strings.ReplaceAll(text, "_", "")
	if len(text) > 4 && text[4] == '-' && strings.Trim(text[:4], "0123456789") == "" {
		for _, layout := range yamlTimestamps {
			if _, err := time.Parse(layout, text); err == nil {
				return nil // converter.node keeps a timestamp as text
			}
		}
	}
	for _, s := range []string{"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"} {
		if text == s {
			bail()
		}
	}
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		bail()
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		bail()
	}
	for _, prefix := range []string{"0b", "-0b", "0o", "-0o"} {
		if strings.HasPrefix(plain, prefix) {
			bail()
		}
	}
	if yamlStyleFloat(plain) {
		f, err := strconv.ParseFloat(plain, 64)
		if err != nil {
			bail()
		}
		return f
	}
	return nil
}

// yamlStyleFloat matches yaml.v3's ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
func yamlStyleFloat(s string) bool {
	digits := func() int {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n
	}
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s != "" && s[0] == '.' {
		s = s[1:]
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if s != "" && s[0] == '.' {
			s = s[1:]
			digits()
		}
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '-' || s[0] == '+') {
			s = s[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return s == ""
}

// flowMapping parses "{key: value, ...}" on one line.
func (p *fastParser) flowMapping(l *fastLine, off int) (*node, int) {
	p.enter()
	defer func() { p.depth-- }()
	out := p.node(l, off)
	out.kind = mapNode
	at := skipSpaces(l.s, off+1)
	if at < len(l.s) && l.s[at] == '}' {
		return p.done(out), at + 1
	}
	for {
		if at == len(l.s) || !plainStart(l.s, at) {
			bail()
		}
		colon := at // the ':' ending the key, followed by a space
		for ; l.s[colon] != ':' || colon+1 == len(l.s) || l.s[colon+1] != ' '; colon++ {
			if colon+1 == len(l.s) || colon-at == fastMaxKey || strings.IndexByte(",[]{}?#'\"", l.s[colon]) >= 0 {
				bail()
			}
		}
		k := p.done(p.plain(l, at, strings.TrimRight(l.s[at:colon], " ")))
		if len(out.keys) == 0 {
			out.line, out.col = k.line, k.col
		}
		if k.text == "<<" {
			bail()
		}
		at = skipSpaces(l.s, colon+1)
		if at == len(l.s) || l.s[at] == ',' || l.s[at] == '}' {
			bail() // no value
		}
		v, end := p.inline(l, at, true)
		out.keys, out.vals = append(out.keys, k), append(out.vals, v)
		out.size += k.size + v.size
		if at = skipSpaces(l.s, end); at == len(l.s) {
			bail()
		}
		switch l.s[at] {
		case '}':
			return p.done(out), at + 1
		case ',':
			if at = skipSpaces(l.s, at+1); at < len(l.s) && l.s[at] == '}' {
				bail() // a trailing comma
			}
		default:
			bail()
		}
	}
}

// flowSequence parses "[item, ...]" on one line.
func (p *fastParser) flowSequence(l *fastLine, off int) (*node, int) {
	p.enter()
	defer func() { p.depth-- }()
	out := p.node(l, off)
	out.kind = seqNode
	at := skipSpaces(l.s, off+1)
	if at < len(l.s) && l.s[at] == ']' {
		return p.done(out), at + 1
	}
	for {
		if at == len(l.s) || l.s[at] == ',' || l.s[at] == ']' {
			bail()
		}
		it, end := p.inline(l, at, true)
		out.items = append(out.items, it)
		out.size += it.size
		if at = skipSpaces(l.s, end); at == len(l.s) {
			bail()
		}
		switch l.s[at] {
		case ']':
			return p.done(out), at + 1
		case ',':
			if at = skipSpaces(l.s, at+1); at < len(l.s) && l.s[at] == ']' {
				bail() // a trailing comma
			}
		default:
			bail()
		}
	}
}

func skipSpaces(s string, at int) int {
	for at < len(s) && s[at] == ' ' {
		at++
	}
	return at
}

// blockScalar parses the literal (|) or folded (>) block scalar whose header
// is at byte off of line l, in a block indented by parent, and moves past its
// lines. It leaves to yaml.v3 indentation indicators, keeping (+), blank
// lines before the text or holding spaces beyond its indentation, and more
// indented lines in a folded scalar.
func (p *fastParser) blockScalar(l *fastLine, off, parent int) *node {
	literal, strip := l.s[off] == '|', false
	at := off + 1
	if at < len(l.s) && l.s[at] == '-' {
		strip = true
		at++
	}
	if at < len(l.s) && l.s[at] != ' ' {
		bail() // an indentation indicator, keep, or something else
	}
	p.next(at)
	indent, last := 0, -1
	var lines []string                    // the text of the lines, without indentation; "" for blank ones
	for r := l.num; r < len(p.raw); r++ { // l.num is the index of the following line
		s := p.raw[r]
		sp := 0
		for sp < len(s) && s[sp] == ' ' {
			sp++
		}
		if sp == len(s) {
			if indent == 0 || sp > indent {
				bail()
			}
			lines = append(lines, "")
			continue
		}
		if indent == 0 {
			if sp <= parent {
				break
			}
			indent = sp
		}
		if sp < indent {
			break
		}
		if !literal && sp > indent {
			bail()
		}
		lines, last = append(lines, s[indent:]), r
	}
	if last < 0 || last == len(p.raw)-1 && p.noEOL {
		bail() // empty, or ending without a line break
	}
	lines = lines[:last-l.num+1] // without the blank lines after the text
	var b strings.Builder
	for i, s := range lines {
		switch {
		case i == 0:
		case literal || s == "":
			b.WriteByte('\n')
		case lines[i-1] != "": // folded: a single line break is a space, blank lines are breaks
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	if !strip {
		b.WriteByte('\n')
	}
	for p.i < len(p.lines) && p.lines[p.i].num <= last+1 {
		p.i++
	}
	n := p.node(l, off)
	n.text, n.str, n.block = b.String(), true, true
	return p.done(n)
}
