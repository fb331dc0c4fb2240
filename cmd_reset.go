package main

import (
	"errors"
	"fmt"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/store"
	"github.com/leversync/leversync/ui"
	"github.com/spf13/cobra"
)

func (a *cli) resetCommand() *cobra.Command {
	var db string
	var yes bool
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Delete the local data file (the saved key stays; 'leversync logout' removes it)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := a.dbPath(db)
			if err != nil {
				return err
			}
			// Only a leversync data file is ever deleted, sound or damaged;
			// anything else at the path is named and left alone.
			switch err := store.Recognize(path); {
			case errors.Is(err, store.ErrNoStore):
				fmt.Fprintf(a.stdout, "Nothing to delete: there is no data file at %s.\n", path)
				return nil
			case errors.Is(err, store.ErrNotStore):
				return fmt.Errorf("nothing was deleted: %w. reset deletes only leversync data files: check --db, or delete the file yourself if you are sure it is not needed", err)
			case err != nil:
				return err
			}
			if s, ok := app.ReadSchedule(path); ok {
				return fmt.Errorf("nothing was deleted: %w (pid %d): stop it first", app.ErrScheduled, s.PID)
			}
			if !yes {
				if !isTerminal(a.stdin) {
					return usagef("reset deletes %s: pass --yes to confirm without a terminal", path)
				}
				yes, err := ui.Confirm(cmd.Context(), a.stdin, a.stdout, fmt.Sprintf("Delete every synced record and the sync history in %s? Type yes to confirm: ", path))
				if err != nil {
					return err
				}
				if !yes {
					fmt.Fprintln(a.stdout, "Nothing deleted.")
					return nil
				}
			}
			if err := store.Remove(path); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Deleted %s. reset leaves saved API keys alone; 'leversync logout' removes them.\n", path)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}
