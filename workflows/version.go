package workflows

import "go.temporal.io/sdk/workflow"

// Interpreter behaviour changes are gated so that running histories still replay.
// There is ONE change id for the whole interpreter; each behaviour change raises
// interpreterVersion by one, and the new code branches on r.version compared as an
// integer (`if r.version >= 2 { new } else { old }`). Old branches stay until no run
// started before the change can still be open. See docs/versioning.md.
//
// Versions:
//
//	1: the first release.
//	2: inbox projection writes (SyncInbox) run as local activities.
const (
	versionChange      = "handoff-interpreter"
	interpreterVersion = workflow.Version(2)
)

// InterpreterVersion is the version new runs record; the replay corpus keeps histories
// of each version in workflows/testdata/histories/v<N>.
const InterpreterVersion = int(interpreterVersion)
