package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// Interpreter behaviour changes are gated so that running histories still replay.
// There is ONE version number for the whole interpreter; each behaviour change raises
// interpreterVersion by one, and the new code branches on r.version compared as an
// integer (`if r.version >= 2 { new } else { old }`). Old branches stay until no run
// started before the change can still be open. See docs/versioning.md.
//
// Versions:
//
//	1: the first release.
//	2: inbox projection writes (SyncInbox) run as local activities.
//	3: (flow) an http or notify step whose templates do not render takes on_failure;
//	   fix-it tasks ask for the skipped step's save fields; an http body value that is
//	   one expression keeps its JSON type; an automation's activity leaves the run at
//	   rest after a grace period; cancel reasons reach child runs; a missing subprocess
//	   target takes on_failure; signal completions resolve the actor in the directory;
//	   wait steps can be expedited; expressions evaluate with the numeric model publish
//	   checks with (Vars.LegacyNumbers is false); an approval's comment is in its step's
//	   data (steps.<id>.data.comment).
//	   (edge) rendered titles and the summary are clipped to 500 characters, descriptions to
//	   10,000 (edge limits).
//	   Inbox writes are ordered (one at a time, numbered, fenced, never cancelled once
//	   started), carry the run's whole projected state, and retry for as long as
//	   Postgres is away (projection.go).
//	   A parallel branch that ends while its join waits writes its closed tasks at once.
//	   (api) a completion of a task with several outcomes must name one.
const (
	versionChange      = "handoff-interpreter"
	interpreterVersion = workflow.Version(3)
)

// InterpreterVersion is the version new runs record; the replay corpus keeps histories
// of each version in workflows/testdata/histories/v<N>.
const InterpreterVersion = int(interpreterVersion)

// runVersion is the interpreter version the run follows. A run started directly carries
// the version of the code that started it in its input; an older version is replayed as
// such, and a newer one than this worker knows fails the workflow task (a panic: Temporal
// retries it until a newer worker takes it, as GetVersion does). A run without one
// (started by a schedule, or before inputs carried it) records its version once with
// GetVersion under versionChange.
func runVersion(ctx workflow.Context, in RunInput) workflow.Version {
	if in.Interpreter == 0 {
		return workflow.GetVersion(ctx, versionChange, workflow.DefaultVersion, interpreterVersion)
	}
	v := workflow.Version(in.Interpreter)
	if v < 1 || v > interpreterVersion {
		panic(fmt.Sprintf("[TMPRL1100] the run follows interpreter version %d; this worker runs versions 1 to %d",
			in.Interpreter, interpreterVersion))
	}
	return v
}
