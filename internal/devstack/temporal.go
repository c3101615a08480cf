package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// TemporalCLIVersion is the Temporal CLI whose dev server we run (Server
// 1.29.1, Web UI 2.42.1). Later versions cannot be built with `go install`
// because their go.mod has a replace directive.
const TemporalCLIVersion = "v1.5.1"

// SearchAttribute is a custom search attribute registered when the dev server
// starts. Type is a Temporal indexed value type name: Keyword, Int, Bool,
// KeywordList, Text, Double or Datetime.
type SearchAttribute struct{ Name, Type string }

// HandoffSearchAttributes are the custom search attributes the Handoff
// workflow upserts. docker-compose.yml registers the same list.
var HandoffSearchAttributes = []SearchAttribute{
	{"HandoffDefinition", "Keyword"},
	{"HandoffVersion", "Int"},
	{"HandoffBusinessKey", "Keyword"},
	{"HandoffOpenSteps", "KeywordList"},
	{"HandoffAssignees", "KeywordList"},
	{"HandoffOverdue", "Bool"},
}

// tunedDevServerArgs make the dev server poll its internal queues fast; the
// stock settings add ~45-50 ms to every workflow task.
var tunedDevServerArgs = []string{
	"--dynamic-config-value", "history.transferProcessorMaxPollRPS=10000",
	"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
	"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
}

// EnsureTemporalCLI returns the path of binDir/temporal, installing it with
// `go install` when missing. The first install builds the CLI from source and
// takes a few minutes.
func EnsureTemporalCLI(ctx context.Context, binDir string, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	abs, err := filepath.Abs(binDir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", binDir, err)
	}
	path := filepath.Join(abs, "temporal")
	if info, err := os.Stat(path); err == nil && !info.IsDir() {
		return path, nil
	}
	pkg := "github.com/temporalio/cli/cmd/temporal@" + TemporalCLIVersion
	fmt.Fprintf(log, "Installing the Temporal CLI %s into %s (go install %s).\n", TemporalCLIVersion, abs, pkg)
	fmt.Fprintln(log, "This builds it from source and takes a few minutes the first time.")
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", abs, err)
	}
	cmd := exec.CommandContext(ctx, "go", "install", pkg)
	cmd.Env = append(os.Environ(), "GOBIN="+abs)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("install the Temporal CLI (go install %s): %w", pkg, err)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("install the Temporal CLI: %w", err)
	}
	return path, nil
}

// TemporalOptions configure StartTemporal.
type TemporalOptions struct {
	// CLIPath is the path to the temporal binary (required); see EnsureTemporalCLI.
	CLIPath string
	// DBFile is the SQLite file that keeps the server's state; "" keeps it in memory.
	DBFile string
	// HostPort is the frontend address; "" picks a free port on 127.0.0.1.
	HostPort string
	// UIPort serves the Web UI on this port; 0 runs headless.
	UIPort int
	// Namespace is created at start and used by Client; default "default".
	Namespace string
	// SearchAttributes are registered at start, e.g. HandoffSearchAttributes.
	SearchAttributes []SearchAttribute
	// CodecEndpoint is the remote codec the Web UI calls; "" for none.
	CodecEndpoint string
	// Log receives the server's stdout and stderr; nil discards them.
	Log io.Writer
}

// Temporal is a running dev server.
type Temporal struct {
	HostPort  string
	Namespace string
	UIURL     string // "" when headless

	server   *testsuite.DevServer
	stopOnce sync.Once
	stopErr  error
}

// StartTemporal starts the Temporal dev server with the tuned dynamic config
// and waits until a client can connect.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if o.CLIPath == "" {
		return nil, errors.New("start temporal: CLIPath is required")
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	if o.HostPort == "" {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("start temporal: %w", err)
		}
		o.HostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	host, _, err := net.SplitHostPort(o.HostPort)
	if err != nil {
		return nil, fmt.Errorf("start temporal: host port %q: %w", o.HostPort, err)
	}

	args := extraArgs(o)
	opts := testsuite.DevServerOptions{
		ExistingPath: o.CLIPath,
		ClientOptions: &client.Options{
			HostPort:  o.HostPort,
			Namespace: o.Namespace,
			Logger:    tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelError}))),
		},
		LogLevel:  "warn",
		ExtraArgs: args,
		Stdout:    logw,
		Stderr:    logw,
	}
	t := &Temporal{HostPort: o.HostPort, Namespace: o.Namespace}
	if o.UIPort != 0 {
		opts.EnableUI = true
		opts.UIPort = strconv.Itoa(o.UIPort)
		t.UIURL = "http://" + net.JoinHostPort(host, opts.UIPort)
	}
	server, err := testsuite.StartDevServer(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server %s: %w", o.CLIPath, err)
	}
	t.server = server
	return t, nil
}

// extraArgs are the dev server flags Handoff adds: the tuning, the search attributes,
// the file backing and the codec endpoint.
func extraArgs(o TemporalOptions) []string {
	args := append([]string(nil), tunedDevServerArgs...)
	for _, sa := range o.SearchAttributes {
		args = append(args, "--search-attribute", sa.Name+"="+sa.Type)
	}
	if o.DBFile != "" {
		args = append(args, "--db-filename", o.DBFile,
			"--sqlite-pragma", "journal_mode=wal",
			"--sqlite-pragma", "synchronous=normal")
	}
	if o.CodecEndpoint != "" {
		args = append(args, "--ui-codec-endpoint", o.CodecEndpoint)
	}
	return args
}

// DevServerArgs is the command line, after the binary, that runs the dev server as
// StartTemporal does (o.HostPort is required). A harness that must kill -9 the server
// and restart it on the same file (the chaos suite) runs it itself with these arguments.
func DevServerArgs(o TemporalOptions) ([]string, error) {
	host, port, err := net.SplitHostPort(o.HostPort)
	if err != nil {
		return nil, fmt.Errorf("dev server arguments: host port %q: %w", o.HostPort, err)
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	args := []string{"server", "start-dev", "--ip", host, "--port", port, "--namespace", o.Namespace,
		"--log-level", "warn", "--dynamic-config-value", "frontend.enableServerVersionCheck=false"}
	if o.UIPort != 0 {
		args = append(args, "--ui-port", strconv.Itoa(o.UIPort))
	} else {
		args = append(args, "--headless")
	}
	return append(args, extraArgs(o)...), nil
}

// Client returns the client connected to the dev server. Stop closes it.
func (t *Temporal) Client() client.Client { return t.server.Client() }

// Stop closes the client, interrupts the server and waits for it to exit.
// It is safe to call more than once.
func (t *Temporal) Stop() error {
	t.stopOnce.Do(func() {
		t.server.Client().Close()
		err := t.server.Stop()
		var exit *exec.ExitError
		if errors.As(err, &exit) && !exit.Exited() {
			// Killed by our own interrupt before it could exit cleanly.
			err = nil
		}
		if err != nil {
			t.stopErr = fmt.Errorf("stop temporal dev server: %w", err)
		}
	})
	return t.stopErr
}
