// Package definitions implements Handoff's definition language: YAML written by
// process owners, compiled into an immutable Program that the interpreter
// workflow runs, plus the CEL Engine that evaluates its expressions at run time.
//
// # Pipeline
//
// Compile parses the YAML into a tree that keeps every line and column,
// decodes it into a Program while collecting every problem (unknown keys with
// a "did you mean", wrong shapes, bad durations and time zones, dangling step
// and role references, unbounded loops, unreachable steps), then type-checks
// every CEL expression and template against the definition's own types:
// inputs, each step's data and the form being filled are declared as CEL
// object types, so `inputs.amout` or `inputs.amount > "5"` is reported at its
// own line and column. All errors come back together in an *ErrorList, sorted
// by position; ErrorList.Format prints them with the source line and a caret.
// Each step kind is declared once, in its kind_*.go file (see kind in
// kinds.go): its keys and their decoders, its checks, the CEL type of its
// steps.<id>.data and its jumps; CONTRIBUTING.md says how to add one. What
// Compile cannot know from the source comes as options: KnownDefinitions
// checks the targets of subprocess steps.
// Compile is pure and single-goroutine: no I/O, no clock, no host time zone.
// Expressions are checked once per distinct text and scope shape (a guard
// repeated on many steps, or forms of the same fields).
//
// # Example
//
//	key: purchase-approval
//	summary: "Purchase: {{ inputs.item }} ({{ inputs.amount }})"
//	inputs:
//	  - {id: item, required: true}
//	  - {id: amount, type: number, required: true, min: 1}
//	roles:
//	  manager: {manager_of: run.started_by}
//	  finance: {group: finance}
//	steps:
//	  - id: manager_approval
//	    kind: approval
//	    assignee: manager
//	    due: 2 business days
//	  - id: finance_review
//	    kind: approval
//	    when: inputs.amount > 5000
//	    assignee: finance
//
// Compiling and evaluating:
//
//	prog, err := definitions.Compile(src)
//	if err != nil {
//		fmt.Print(err.(*definitions.ErrorList).Format("purchase.yaml", src))
//		return
//	}
//	engine := definitions.NewEngine() // one per process
//	vars := definitions.Vars{Inputs: map[string]any{"item": "Laptop", "amount": 7200.0}, Now: now}
//	needsFinance, _ := engine.EvalBool(prog, prog.Step("finance_review").When, vars)
//	title, _ := engine.Render(prog, prog.Summary, vars) // "Purchase: Laptop (7200)"
//
// # Language decisions
//
//   - A step's kind defaults to task; title defaults to the humanised id; a
//     field's type defaults to text and its label to the humanised id.
//   - Ids of steps, fields and roles are CEL identifiers (letters, digits,
//     underscores) because they appear in expressions: steps.manager_approval.outcome.
//     Keys of definitions, webhooks and events are lowercase with dashes.
//   - Durations are "<number> <unit>": seconds, minutes, hours, days, weeks
//     or business days (see Duration).
//   - Templates interpolate CEL with {{ expression }}: titles, descriptions,
//     summary, notification texts, HTTP URLs, header values and body strings.
//   - Every number in data is a double. An integer literal takes the type of
//     the number it meets (a double, unless that is an int), comparisons are
//     cross-type, and publish refuses int-with-data arithmetic that could not
//     evaluate, so `form.monthly_gross * 12 <= inputs.salary * 1.1` both
//     type-checks and runs (celnumbers.go; docs/definitions.md, "Numbers").
//   - Dates and datetimes are CEL timestamps (a date is midnight in the
//     definition's time zone); at run time the Engine converts the JSON strings.
//   - A jump back (next, send_back_to, a decision rule, on_timeout or
//     on_failure goto to an earlier step of the same sequence) needs max_rounds;
//     an exhausted jump is not taken any more (see Step).
//   - Secrets are referenced by name (secret_headers, url_secret) and never
//     reach CEL or workflow history.
//   - Top-level keys starting with x- are ignored: they hold YAML anchors.
//   - Every program has the role "requester": the person who started the run.
//   - A role named "viewers" (a user, users or a group) may see every run of
//     the definition; runs are otherwise private to the people in them.
//
// # Run time
//
// Engine caches one CEL environment per program hash and one cel.Program per
// (hash, expression). Every evaluation runs under cel-go's cost tracker and
// stops with a cost-limit error past CostLimit. Values come in
// Vars as plain JSON-shaped maps; selecting a declared field of a map works
// with the checked program. Use has(inputs.x) or inputs.?x.orValue(d) for
// optional fields that may be absent.
package definitions
