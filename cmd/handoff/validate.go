package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/handoffhq/handoff/definitions"
)

// newValidateCmd checks definition files offline: it never asks a server or a
// database, so it knows only the files it is given. A subprocess step must
// start one of them (or itself) unless --allow-unknown-subprocess leaves that
// to publish, which checks against what is published.
func newValidateCmd() *cobra.Command {
	var allowUnknown bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check definitions and print every error as file:line:col",
		Long: `Check definitions and print every error as file:line:col with the source line.
FILE - reads standard input. Validation is offline: a subprocess step must start one
of the definitions given on the same command line (or itself); pass
--allow-unknown-subprocess to leave that check to publish, which checks against the
published definitions.`,
		Example: "  handoff validate definitions/examples/*.yaml\n  cat purchase.yaml | handoff validate -",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			srcs := make([][]byte, len(args))
			for i, name := range args {
				var err error
				if srcs[i], err = readDefinition(cmd, name); err != nil {
					return err
				}
			}
			var opts []definitions.CompileOption
			if !allowUnknown {
				opts = append(opts, definitions.KnownDefinitions(givenKeys(srcs)))
			}
			bad := 0
			for i, name := range args {
				if _, err := definitions.Compile(srcs[i], opts...); err != nil {
					bad++
					printDefinitionError(cmd, displayName(name), srcs[i], err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", displayName(name))
			}
			if bad > 0 {
				return exitError{fmt.Sprintf("%d of %d definitions are invalid", bad, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&allowUnknown, "allow-unknown-subprocess", false,
		"accept subprocess steps that start a definition not given on the command line")
	return cmd
}

// readDefinition reads a file, or standard input for "-".
func readDefinition(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// givenKeys are the keys of the valid definitions among srcs, the subprocess
// targets an offline validation knows (with no version: pinned versions
// cannot be checked offline).
func givenKeys(srcs [][]byte) map[string]int {
	keys := map[string]int{}
	for _, src := range srcs {
		if p, err := definitions.Compile(src); err == nil {
			keys[p.Key] = 0
		}
	}
	return keys
}
