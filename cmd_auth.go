package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/spf13/cobra"
)

func (a *cli) loginCommand() *cobra.Command {
	var f connFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Verify an API key and save it for later syncs, without the wizard",
		Long: `login checks the key against Lever, then saves it for the environment: in
the system keyring where one works, else in a 0600 file in the config folder.
The key comes from --key-stdin, else LEVER_API_KEY.`,
		Example: `  printf %s "$KEY" | leversync login --key-stdin --env sandbox`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.keyStdin && a.getenv("LEVER_API_KEY") == "" {
				return usagef("login needs the key on standard input (--key-stdin) or in LEVER_API_KEY")
			}
			t, err := a.resolveTarget(f)
			if err != nil {
				return err
			}
			key, err := a.resolveKey(f, t.Env)
			if err != nil {
				return err
			}
			client, err := lever.NewClient(lever.Options{BaseURL: t.BaseURL, Key: key})
			if err != nil {
				return usageError{err}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			if err := client.VerifyKey(ctx); err != nil {
				return fmt.Errorf("verify the key with %s: %w", t.Env.Title(), err)
			}
			where, err := a.config.SaveKey(t, key)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Key verified with %s and saved in %s.\nNext: leversync sync\n", t.Env.Title(), where)
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

func (a *cli) logoutCommand() *cobra.Command {
	var envFlag string
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove the saved API key (of one environment, or all)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			envs := append([]lever.Environment{}, lever.Environments...)
			envs = append(envs, lever.Custom)
			if envFlag != "" {
				env, err := lever.ParseEnvironment(envFlag)
				if err != nil {
					return usageError{err}
				}
				envs = []lever.Environment{env}
			}
			creds := a.config.Credentials
			removed := 0
			for _, env := range envs {
				if _, _, err := creds.Load(env); errors.Is(err, config.ErrNoCredential) {
					continue
				}
				if err := creds.Delete(env); err != nil {
					return fmt.Errorf("remove the %s key: %w", env, err)
				}
				removed++
				fmt.Fprintf(a.stdout, "Removed the saved %s key.\n", env.Title())
			}
			if removed == 0 {
				fmt.Fprintln(a.stdout, "No saved key to remove.")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&envFlag, "env", "", "only this environment: production, sandbox or eu (default: all)")
	return cmd
}

func (a *cli) setupCommand() *cobra.Command {
	var f rootFlags
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Run the set-up wizard again from the start (to replace a key or change environment)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.restart = true
			return a.runRoot(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&f.db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&f.accessible, "accessible", false, "plain line-by-line prompts for screen readers (also ACCESSIBLE=1)")
	cmd.Flags().StringVar(&f.baseURL, "base-url", "", "API root including /v1 that the wizard uses for any environment (a proxy, or leversync fake-lever)")
	return cmd
}
