package steps

import (
	"fmt"
	"strings"
)

// HandoffText is a short, key-free note a user who is not a Lever Super
// Admin can send to one: what to click to make the key the choices in s
// ask for, and how to hand it back safely.
func HandoffText(s State) string {
	var b strings.Builder
	b.WriteString("Hi! I am setting up leversync, a read-only local copy of our Lever jobs and candidates. ")
	b.WriteString("It needs a Lever API key, which only a Super Admin can create. Could you please:\n\n")
	for i, it := range CreateKeyChecklist(s) {
		fmt.Fprintf(&b, "%2d. %s\n", i+1, it.Text)
	}
	if s.Access == Custom {
		b.WriteString("\nPermissions to tick:\n")
		for _, p := range RequiredPermissions(s) {
			col := "Read"
			if p.Write {
				col = "Write"
			}
			fmt.Fprintf(&b, "  - %s (%s)\n", p.Name, col)
		}
	}
	b.WriteString("\nThen send me the key through our password manager, not by email or chat. ")
	b.WriteString("(Or give me the Super Admin role and I will do it myself.)\n")
	return b.String()
}
