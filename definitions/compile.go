package definitions

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// MaxSourceBytes is the largest definition source accepted (256 KiB).
const MaxSourceBytes = 256 << 10

// Compile parses, validates and compiles a definition source. On any problem it
// returns a nil Program and an *ErrorList holding every error found, each with a
// 1-based line and column and a path such as "steps[1].form[0].type".
// Compile is pure and runs on the calling goroutine: what it needs to know
// beyond src comes in opts.
func Compile(src []byte, opts ...CompileOption) (*Program, error) {
	c := &compiler{src: src}
	for _, o := range opts {
		o(c)
	}
	if p := c.run(); p != nil && len(c.errs.list) == 0 {
		return p, nil
	}
	return nil, c.errs.result()
}

// CompileOption tells Compile something it cannot know from the source.
type CompileOption func(*compiler)

// KnownDefinitions makes Compile check the definition every subprocess step
// starts: latest maps each known definition key to its latest published
// version, or to 0 for a definition known without a version yet (a file
// validated alongside, whose pinned versions cannot be checked). A key that
// is not in latest, or a version above its latest, is an error at its line
// and column; a definition may always start itself. Without this option,
// subprocess targets are not checked.
func KnownDefinitions(latest map[string]int) CompileOption {
	return func(c *compiler) { c.known = latest }
}

// compiler carries one compilation: the program being built, the errors, and
// the side tables (expression sites, references) checked after parsing.
type compiler struct {
	src   []byte
	errs  errs
	prog  *Program
	exprs []*exprSite
	refs  []stepRef
	// stepNodes remembers where each step id was declared.
	stepNodes map[string]*node
	stepPaths map[string]string
	// triggerNodes[i] is where triggers[i] was declared.
	triggerNodes []*node
	// seqs records each sequence of steps (top level, each branch) for flow checks.
	seqs []*sequence
	// known is the KnownDefinitions option; nil when targets are not checked.
	known map[string]int
}

func (c *compiler) run() *Program {
	if !c.precheck() {
		return nil
	}
	root, err := parseYAML(c.src)
	if err != nil {
		c.yamlError(err)
		return nil
	}
	if root == nil {
		c.errs.add(1, 1, "", "the definition is empty")
		return nil
	}
	if root.kind != mapNode {
		c.errs.at(root, "", "a definition is a mapping of keys (key, name, steps, ...), got %s", describe(root))
		return nil
	}
	sum := sha256.Sum256(c.src)
	c.prog = &Program{Hash: "sha256:" + hex.EncodeToString(sum[:])}
	c.stepNodes, c.stepPaths = map[string]*node{}, map[string]string{}
	c.parseProgram(root)
	c.checkReferences()
	c.checkFlow()
	c.checkExpressions()
	return c.prog
}

// precheck refuses what is not text before YAML sees it: an oversized source,
// bytes that are not UTF-8 and the NUL character (which no text column stores),
// each at its position.
func (c *compiler) precheck() bool {
	if len(c.src) > MaxSourceBytes {
		c.errs.add(1, 1, "", "the definition is %d bytes; the limit is %d bytes (256 KiB)", len(c.src), MaxSourceBytes)
		return false
	}
	for off := 0; off < len(c.src); {
		r, size := utf8.DecodeRune(c.src[off:])
		switch {
		case r == utf8.RuneError && size == 1:
			line, col := offsetPosition(c.src, off)
			c.errs.add(line, col, "", "the definition is not valid UTF-8 text (byte 0x%02x)", c.src[off])
			return false
		case r == 0:
			line, col := offsetPosition(c.src, off)
			c.errs.add(line, col, "", "the NUL character (\\0) is not allowed in a definition")
			return false
		}
		off += size
	}
	return true
}

func (c *compiler) yamlError(err error) {
	var pe errPos
	if errors.As(err, &pe) {
		c.errs.add(pe.line, pe.col, "", "%s", pe.msg)
		return
	}
	if errors.Is(err, errTooBig) {
		c.errs.add(1, 1, "", "%v", err)
		return
	}
	line, col, msg := yamlErrorPosition(err)
	c.errs.add(line, col, "", "YAML syntax error: %s", msg)
}

// yamlErrorPosition extracts the position and bare message of a YAML library error.
func yamlErrorPosition(err error) (line, col int, msg string) {
	var te interface {
		GetMessage() string
		GetToken() *token.Token
	}
	if errors.As(err, &te) {
		if tk := te.GetToken(); tk != nil && tk.Position != nil {
			return tk.Position.Line, tk.Position.Column, te.GetMessage()
		}
		return 1, 1, te.GetMessage()
	}
	return 1, 1, err.Error()
}
