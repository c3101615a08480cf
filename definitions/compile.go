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
//
// A large definition is compiled on several goroutines: its expressions are
// parsed while the YAML is, and type-checked on every CPU. The result never
// depends on scheduling, and no goroutine outlives the call.
func Compile(src []byte) (*Program, error) {
	c := &compiler{src: src}
	if p := c.run(); p != nil && len(c.errs.list) == 0 {
		return p, nil
	}
	return nil, c.errs.result()
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
	// workers bounds the goroutines checking expressions; 0 means GOMAXPROCS,
	// 1 means everything runs on the calling goroutine (no parsing ahead).
	workers int
	// pre parses expressions ahead, while the YAML is parsed.
	pre *preparser
}

func (c *compiler) run() *Program {
	if !c.precheck() {
		return nil
	}
	if c.workers != 1 {
		c.pre = startPreparse(c.src)
		defer c.pre.finish()
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

func (c *compiler) precheck() bool {
	switch {
	case len(c.src) > MaxSourceBytes:
		c.errs.add(1, 1, "", "the definition is %d bytes; the limit is %d bytes (256 KiB)", len(c.src), MaxSourceBytes)
	case !utf8.Valid(c.src):
		c.errs.add(1, 1, "", "the definition is not valid UTF-8 text")
	default:
		return true
	}
	return false
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
