// Command handoff runs Handoff: the whole stack on one machine (`handoff dev`), the API
// (`serve`), the worker (`worker`), migrations, and the everyday command-line tasks.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := ConfigFromEnv(os.Getenv)
	if err := newRoot(&cfg).ExecuteContext(ctx); err != nil {
		var exit exitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(os.Stderr, "handoff:", err)
		}
		os.Exit(1)
	}
}

// exitError ends the process with status 1 after its command already reported why.
type exitError struct{ msg string }

func (e exitError) Error() string { return e.msg }

func newRoot(cfg *Config) *cobra.Command {
	root := &cobra.Command{
		Use:   "handoff",
		Short: "Handoff runs recurring human workflows as durable Temporal workflows",
		Long: `Handoff runs recurring human workflows (onboarding, approvals, reviews) as durable
Temporal workflows. Configuration comes from the environment; see README.md.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("handoff {{.Version}}\n")
	root.AddCommand(
		newDevCmd(cfg),
		newServeCmd(cfg),
		newWorkerCmd(cfg),
		newMigrateCmd(cfg),
		newValidateCmd(),
		newPublishCmd(cfg),
		newUsersCmd(cfg),
		newKeysCmd(cfg),
		newSecretsCmd(cfg),
		newEvidenceCmd(cfg),
		newInboxCmd(cfg),
		newHealthCmd(cfg),
		newBootstrapCmd(cfg),
	)
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes every command group (users, keys, …) answer an unknown
// subcommand with an error and suggestions, as the root does, instead of its help and
// success.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() || !cmd.HasParent() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.SuggestionsMinimumDistance = 2 // cobra's default, which it applies to the root only
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return fmt.Errorf("%s\n\nRun '%s --help' for its commands", msg, cmd.CommandPath())
	}
}

func newServeCmd(cfg *Config) *cobra.Command {
	var migrate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API",
		Long:  "serve runs the HTTP API. Run the worker (handoff worker) beside it.\n\n" + envHelp(true, false),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUntilSignal(cmd.Context(), &Main{Config: *cfg, Logger: cfg.Logger(), API: true, Migrate: migrate})
		},
	}
	cmd.Flags().BoolVar(&migrate, "migrate", false, "apply database migrations before serving")
	return cmd
}

func newWorkerCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal worker (the interpreter and its activities)",
		Long: "worker runs the Temporal worker: the interpreter, its activities and the outbox\n" +
			"(emails, subscription events). Run as many as throughput needs.\n\n" + envHelp(false, true),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUntilSignal(cmd.Context(), &Main{Config: *cfg, Logger: cfg.Logger(), Worker: true})
		},
	}
}

// runUntilSignal runs m until the context ends (SIGINT or SIGTERM), then closes it.
func runUntilSignal(ctx context.Context, m *Main) error {
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	if m.API {
		m.Logger.Info("api listening", "addr", m.Addr())
	}
	if m.Worker {
		m.Logger.Info("worker polling", "task_queue", m.Config.TaskQueue, "temporal", m.Config.TemporalAddress)
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}
