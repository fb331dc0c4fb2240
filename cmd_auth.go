package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/leversync/leversync/config"
	"github.com/leversync/leversync/lever"
	"github.com/spf13/cobra"
)

// Login checks the key briefly: a few quick retries, each reported, so an
// offline machine hears within seconds what failed rather than after a
// minute of silence.
const (
	loginRetries        = 2
	loginRequestTimeout = 15 * time.Second
	loginTimeout        = time.Minute
)

func (a *cli) loginCommand() *cobra.Command {
	var f connFlags
	var noKeyring bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Verify an API key and save it for later syncs, without the wizard",
		Long: `login checks the key against Lever, then saves it for that API root: in
the system keyring where one works, else in a 0600 file in the config folder.
A saved key is only ever sent to the API root it was saved for. The key comes
from --key-stdin, else LEVER_API_KEY.

For scheduled syncs (cron, a systemd user service, launchd), which often
cannot reach the keyring, save the key with --no-keyring, as the user the
schedule runs as.`,
		Example: `  printf %s "$KEY" | leversync login --key-stdin --env sandbox
  leversync login --key-stdin --no-keyring --profile client-a < key.txt`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.keyStdin && a.getenv("LEVER_API_KEY") == "" {
				return usagef("login needs the key on standard input (--key-stdin) or in LEVER_API_KEY")
			}
			t, err := a.resolveTarget(f)
			if err != nil {
				return err
			}
			key, err := a.resolveKey(f, t)
			if err != nil {
				return err
			}
			host := apiHost(t.BaseURL)
			client, err := lever.NewClient(lever.Options{
				BaseURL: t.BaseURL, Key: key, MaxRetries: loginRetries, RequestTimeout: loginRequestTimeout,
				OnRetry: func(ri lever.RetryInfo) {
					fmt.Fprintf(a.stderr, "No answer from %s (%s); trying again in %v.\n", host, lever.PlainText(ri.Err.Error()), ri.Wait.Round(100*time.Millisecond))
				},
			})
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintf(a.stderr, "Checking the key with %s...\n", t.Root())
			ctx, cancel := context.WithTimeout(cmd.Context(), loginTimeout)
			defer cancel()
			err = client.VerifyKey(ctx)
			_, answered := errors.AsType[*lever.APIError](err)
			switch {
			case err == nil:
			case cmd.Context().Err() != nil:
				return cmd.Context().Err()
			case errors.Is(err, context.DeadlineExceeded):
				return fmt.Errorf("%w: %s did not answer within %v, so the key was not checked or saved. Check this machine's network connection (and any proxy or firewall on the way to %s), then run 'leversync login' again", lever.ErrUnavailable, host, loginTimeout, host)
			case errors.Is(err, lever.ErrUnavailable) && !answered:
				return fmt.Errorf("could not reach %s, so the key was not checked or saved: %w. Check this machine's network connection (and any proxy or firewall on the way to %s), then run 'leversync login' again", host, err, host)
			default:
				return fmt.Errorf("verify the key with %s: %w", t.Root(), err)
			}
			cfg := a.config
			if noKeyring {
				c := *cfg.Credentials
				c.UseKeyring = false
				cfg.Credentials = &c
			}
			place, err := cfg.SaveKey(t, key)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Key verified with %s and saved in %s.\nNext: leversync sync\n", t.Root(), place)
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&noKeyring, "no-keyring", false, "save the key in the 0600 file in the config folder, not the system keyring (for cron and services)")
	return cmd
}

// apiHost is the host (and port) of an API root, for messages.
func apiHost(root string) string {
	if u, err := url.Parse(root); err == nil && u.Host != "" {
		return u.Host
	}
	return root
}

func (a *cli) logoutCommand() *cobra.Command {
	var f connFlags
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove the saved API key (of one API root, or all)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			creds := a.config.Credentials
			if creds == nil {
				return errors.New("no credential store is set up")
			}
			if f.env == "" && f.baseURL == "" {
				removed, err := creds.DeleteAll()
				if err != nil {
					return fmt.Errorf("remove the saved keys: %w", err)
				}
				for _, name := range removed {
					fmt.Fprintf(a.stdout, "Removed the saved key for %s.\n", name)
				}
				if len(removed) == 0 {
					fmt.Fprintln(a.stdout, "No saved key to remove.")
				}
				return nil
			}
			t, err := a.resolveTarget(f)
			if err != nil {
				return err
			}
			err = creds.Delete(t.BaseURL)
			switch {
			case errors.Is(err, config.ErrNoCredential):
				fmt.Fprintf(a.stdout, "No key is saved for %s.\n", t.Root())
				return nil
			case err != nil:
				return fmt.Errorf("remove the key saved for %s: %w", t.Root(), err)
			}
			fmt.Fprintf(a.stdout, "Removed the saved key for %s.\n", t.Root())
			return nil
		},
	}
	cmd.Flags().StringVar(&f.env, "env", "", "only the key of this environment: production, sandbox or eu (default: every saved key)")
	cmd.Flags().StringVar(&f.baseURL, "base-url", "", "only the key saved for this API root")
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
	cmd.Flags().StringVar(&f.baseURL, "base-url", "", "the API root, including /v1, that the wizard uses for any environment (a proxy, or leversync fake-lever)")
	return cmd
}
