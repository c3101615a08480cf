package workflows

import "go.temporal.io/sdk/workflow"

// Interpreter behaviour changes are gated so that running histories still replay.
// There is ONE change id for the whole interpreter; each behaviour change raises
// interpreterVersion by one, and the new code branches on r.version compared as an
// integer (`if r.version >= 2 { new } else { old }`). Old branches stay until no run
// started before the change can still be open. See docs/versioning.md.
const (
	versionChange      = "handoff-interpreter"
	interpreterVersion = workflow.Version(1)
)
