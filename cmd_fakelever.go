package main

import (
	"fmt"
	"time"

	"github.com/leversync/leversync/lever/fakelever"
	"github.com/spf13/cobra"
)

func (a *cli) fakeLeverCommand() *cobra.Command {
	var (
		addr string
		cfg  fakelever.Config
	)
	cmd := &cobra.Command{
		Use:   "fake-lever",
		Short: "Run the built-in fake Lever API server (for trying leversync and for tests)",
		Long: `fake-lever serves a Lever look-alike API on a local address: the real
envelopes, errors, page tokens, rate limit and permissions, with deterministic
synthetic data. Its first line on stdout is the API root to pass as --base-url;
then come the keys it accepts and what each may do. It runs until interrupted.`,
		Example: `  leversync fake-lever --addr 127.0.0.1:0 --opportunities 50000 --latency 300ms
  LEVER_API_KEY=<a key it prints> leversync sync --base-url http://127.0.0.1:8080/v1`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Faults < 0 || cfg.Faults > 1 {
				return usagef("--faults must be between 0 and 1, got %v", cfg.Faults)
			}
			if cfg.Opportunities < 0 {
				return usagef("--opportunities must not be negative")
			}
			srv, err := fakelever.Start(cfg, addr)
			if err != nil {
				return fmt.Errorf("start the fake Lever on %s: %w", addr, err)
			}
			defer srv.Close()
			fmt.Fprintln(a.stdout, srv.URL())
			fmt.Fprintf(a.stdout, "sandbox API root: %s\n", srv.SandboxURL())
			fmt.Fprintln(a.stdout, "keys (HTTP Basic username, blank password):")
			for _, k := range fakelever.Keys() {
				fmt.Fprintf(a.stdout, "  %s  %s: %s\n", k.Key, k.Name, k.Description)
			}
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	cmd.Flags().IntVar(&cfg.Opportunities, "opportunities", 2000, "how many candidates (opportunities) to serve")
	cmd.Flags().DurationVar(&cfg.Latency, "latency", 0, "added to every response, e.g. 300ms")
	cmd.Flags().Float64Var(&cfg.Faults, "faults", 0, "fraction of requests that fail (503, dropped connection, truncated body), e.g. 0.02")
	cmd.Flags().Int64Var(&cfg.Seed, "seed", 1, "data seed: the same seed serves the same data")
	cmd.Flags().Float64Var(&cfg.Rate, "rate", 10, "rate limit per key in requests/s (negative: none)")
	cmd.Flags().DurationVar(&cfg.TokenMaxAge, "token-max-age", 10*time.Minute, "page tokens older than this are rejected as Invalid offset token")
	return cmd
}
