package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leversync/leversync/lever/permission"
)

// ConfidentialName is the toggle on Lever's key screen that lets a key see
// confidential jobs and candidates.
const ConfidentialName = "Allow access to confidential data"

// SyncReads are the read permissions the sync itself uses: its account-wide
// lists plus the per-candidate details.
func SyncReads() []permission.Permission {
	var out []permission.Permission
	for _, p := range permission.Read {
		if p.Sync || p.Details {
			out = append(out, p)
		}
	}
	return out
}

// RequiredPermissions is what the connect step checks the key for: with
// Read only, the reads the sync uses; with Read/Write, those and every write
// permission leversync knows; with Custom, the permissions chosen, in the
// catalogue's order.
func RequiredPermissions(s State) []permission.Permission {
	switch s.Access {
	case ReadOnly:
		return SyncReads()
	case Custom:
		var out []permission.Permission
		for _, p := range permission.All {
			if slices.Contains(s.Permissions, p.Name) {
				out = append(out, p)
			}
		}
		return out
	default:
		return append(SyncReads(), permission.Write...)
	}
}

// checkCustom makes sure a hand-picked list names real permissions and
// includes the ones the sync cannot run without.
func checkCustom(names []string) error {
	if len(names) == 0 {
		return stepErr(StepPermissions, "no permission chosen",
			"tick at least the permissions the sync reads, or choose Read/Write or Read only")
	}
	for _, n := range names {
		if _, ok := permission.ByName(n); !ok {
			return stepErr(StepPermissions, fmt.Sprintf("%q is not a permission Lever's key screen lists", n),
				"choose from the list shown")
		}
	}
	var missing []string
	for _, p := range permission.Read {
		if p.Sync && !slices.Contains(names, p.Name) {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		return stepErr(StepPermissions, "the sync cannot run without "+quoteList(missing),
			"tick them too; permissions cannot be edited after the key is created")
	}
	return nil
}

// ChecklistItem is one click of creating a key in Lever.
type ChecklistItem struct {
	// ID is stable; the saved State records ticked ids.
	ID   string
	Text string
}

// CreateKeyChecklist is the exact clicks for making the key the state asks
// for, in order. The permission and confidential items follow the choices.
func CreateKeyChecklist(s State) []ChecklistItem {
	var perms string
	switch s.Access {
	case ReadOnly:
		perms = `Under Read, click "Select all read" (leave Write empty)`
	case Custom:
		perms = fmt.Sprintf("Tick the %d permissions listed below (Read and Write columns)", len(RequiredPermissions(s)))
	default:
		perms = `Under Read and under Write, click "Select All"`
	}
	conf := `Turn on "` + ConfidentialName + `"`
	if !s.Confidential {
		conf = `Leave "` + ConfidentialName + `" off`
	}
	return []ChecklistItem{
		{ID: "profile", Text: "In Lever, click your profile icon (top right)"},
		{ID: "settings", Text: "Choose Settings"},
		{ID: "integrations", Text: "Open Integrations and API on the left"},
		{ID: "credentials", Text: "Open the API Credentials tab"},
		{ID: "generate", Text: "Click Generate New Key"},
		{ID: "name", Text: `Name it "leversync"`},
		{ID: "permissions", Text: perms},
		{ID: "confidential", Text: conf},
		{ID: "create", Text: "Click Generate Key"},
		{ID: "copy", Text: "Copy the key now: Lever shows it only once"},
	}
}

// ToggleTick ticks or unticks the checklist item id.
func ToggleTick(s State, id string) State {
	s = s.clone()
	if i := slices.Index(s.Ticks, id); i >= 0 {
		s.Ticks = slices.Delete(s.Ticks, i, i+1)
		return s
	}
	s.Ticks = append(s.Ticks, id)
	return s
}

// Unticked returns the checklist items not yet ticked, in order.
func Unticked(s State) []ChecklistItem {
	var out []ChecklistItem
	for _, it := range CreateKeyChecklist(s) {
		if !s.Ticked(it.ID) {
			out = append(out, it)
		}
	}
	return out
}

// quoteList renders names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
