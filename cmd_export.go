package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
)

// csvColumns are the documented CSV columns per resource: a header and the
// JSON path of each value in the raw record. Nested paths use dots.
var csvColumns = map[lever.Resource][]string{
	lever.Postings:       {"id", "text", "state", "confidentiality", "categories.team", "categories.department", "categories.location", "categories.commitment", "workplaceType", "createdAt", "updatedAt"},
	lever.Opportunities:  {"id", "name", "emails", "stage", "origin", "confidentiality", "archived.reason", "archived.archivedAt", "applications.posting", "createdAt", "updatedAt"},
	lever.Users:          {"id", "name", "email", "accessRole", "deactivatedAt", "createdAt"},
	lever.Stages:         {"id", "text"},
	lever.ArchiveReasons: {"id", "text", "status", "type"},
	lever.Sources:        {"text", "count"},
	lever.Tags:           {"text", "count"},
	lever.Requisitions:   {"id", "requisitionCode", "name", "status", "headcountTotal", "headcountHired", "confidentiality", "createdAt"},
	lever.Notes:          {"id", "text", "user", "createdAt"},
	lever.Interviews:     {"id", "subject", "date", "duration", "feedbackTemplate"},
	lever.Offers:         {"id", "status", "createdAt", "sentAt", "approvedAt"},
}

func (a *cli) exportCommand() *cobra.Command {
	var (
		db             string
		resource       string
		format         string
		includeDeleted bool
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print stored records, one per line (JSON Lines or CSV)",
		Long: `Export prints the stored records of one resource on stdout.

jsonl (the default) prints each record's raw JSON exactly as Lever sent it
(opportunities as fetched with expand=applications). csv prints the columns
listed in the README; a text cell that starts with =, +, -, @, a tab or a
carriage return gets a leading ' so a spreadsheet shows it rather than runs
it as a formula. Sources and tags are keyed by their exact,
case-sensitive text. --include-deleted adds tombstones of records deleted in
Lever: {"id":...,"deletedAt":...,"deleted":true}.`,
		Example: `  leversync export --resource opportunities > candidates.jsonl
  leversync export --resource postings --format csv`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := lever.Resource(resource)
			if _, ok := csvColumns[r]; !ok {
				return usagef("unknown --resource %q: use one of %s", resource, resourceNames())
			}
			if format != "jsonl" && format != "csv" {
				return usagef("unknown --format %q: use jsonl or csv", format)
			}
			path, err := a.dbPath(db)
			if err != nil {
				return err
			}
			st, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			out := bufio.NewWriterSize(a.stdout, 64<<10)
			if format == "csv" {
				err = exportCSV(out, st, r, includeDeleted)
			} else {
				err = st.Export(r, includeDeleted, func(_ string, raw []byte) error {
					if _, err := out.Write(raw); err != nil {
						return err
					}
					return out.WriteByte('\n')
				})
			}
			if err != nil {
				return err
			}
			if err := out.Flush(); err != nil {
				return err
			}
			// Per-candidate detail is read only on request: say how.
			if slices.Contains(lever.DetailResources, r) {
				if n, err := st.Counts(); err == nil && n[r] == 0 {
					fmt.Fprintf(a.stderr, "No %s stored: per-candidate detail is read by '%s'.\n", r, a.suggest("sync --details", db))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "data file (default under $XDG_DATA_HOME/leversync)")
	cmd.Flags().StringVar(&resource, "resource", "", "what to export: "+resourceNames())
	cmd.Flags().StringVar(&format, "format", "jsonl", "output format: jsonl or csv")
	cmd.Flags().BoolVar(&includeDeleted, "include-deleted", false, "also print tombstones of records deleted in Lever")
	_ = cmd.MarkFlagRequired("resource")
	return cmd
}

func resourceNames() string {
	names := make([]string, len(lever.AllResources))
	for i, r := range lever.AllResources {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func exportCSV(w io.Writer, st *store.Store, r lever.Resource, includeDeleted bool) error {
	cols := csvColumns[r]
	header := append([]string{}, cols...)
	if includeDeleted {
		header = append(header, "deleted", "deletedAt")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	err := st.Export(r, includeDeleted, func(_ string, raw []byte) error {
		var rec map[string]any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("decode a stored %s record: %w", r, err)
		}
		row := make([]string, 0, len(header))
		for _, c := range cols {
			row = append(row, csvCell(lookup(rec, c)))
		}
		if includeDeleted {
			row = append(row, csvCell(rec["deleted"]), csvCell(rec["deletedAt"]))
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// lookup follows a dotted path; through a list it collects every element's
// value.
func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	head, rest, _ := strings.Cut(path, ".")
	switch x := v.(type) {
	case map[string]any:
		return lookup(x[head], rest)
	case []any:
		var out []any
		for _, e := range x {
			if got := lookup(e, path); got != nil {
				out = append(out, got)
			}
		}
		return out
	}
	return nil
}

// csvCell is one CSV cell. A text that a spreadsheet would run as a
// formula (it starts with =, +, -, @, a tab or a carriage return) gets a
// leading apostrophe, which spreadsheets read as "this is text"; numbers
// are left as they are. Lever's records are typed by candidates and
// anyone with access, so a name like =HYPERLINK(...) is data, never code.
func csvCell(v any) string {
	s := csvValue(v)
	if _, number := v.(json.Number); number || s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvValue flattens a JSON value into one cell: lists join with "; ",
// objects print their id or text, or their JSON.
func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, csvValue(e))
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		for _, k := range []string{"id", "text", "value", "name"} {
			if s, ok := x[k].(string); ok {
				return s
			}
		}
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}
