package steps

import "fmt"

// StepID names one step of the wizard. The names are stored in the saved
// progress, so they must not change.
type StepID string

// The steps, in the order the wizard walks them.
const (
	StepPrerequisite StepID = "prerequisite"
	StepOrganization StepID = "organization"
	StepProvider     StepID = "provider"
	StepAuthMethod   StepID = "auth_method"
	StepData         StepID = "data"
	StepPermissions  StepID = "permissions"
	StepCreateKey    StepID = "create_key"
	StepPasteKey     StepID = "paste_key"
	StepConnect      StepID = "connect"
	StepSync         StepID = "sync"
)

// All lists every step in order.
var All = []StepID{
	StepPrerequisite, StepOrganization, StepProvider, StepAuthMethod, StepData,
	StepPermissions, StepCreateKey, StepPasteKey, StepConnect, StepSync,
}

// Total is the number of steps, for "Step N of Total".
var Total = len(All)

var titles = map[StepID]string{
	StepPrerequisite: "Before you start",
	StepOrganization: "Organization type",
	StepProvider:     "Connect ATS account",
	StepAuthMethod:   "Authentication",
	StepData:         "Data",
	StepPermissions:  "Permissions",
	StepCreateKey:    "Create the key in Lever",
	StepPasteKey:     "Paste the key",
	StepConnect:      "Connect",
	StepSync:         "Sync",
}

// Number is the step's position from 1; 0 for an unknown step.
func (s StepID) Number() int {
	for i, id := range All {
		if id == s {
			return i + 1
		}
	}
	return 0
}

// Title is the step's name as the header shows it.
func (s StepID) Title() string { return titles[s] }

// Header is the position line, e.g. "Step 5 of 10: Data".
func (s StepID) Header() string {
	return fmt.Sprintf("Step %d of %d: %s", s.Number(), Total, s.Title())
}

// Valid reports whether s is one of the steps.
func (s StepID) Valid() bool { return s.Number() > 0 }

// Prev is the step before s; the first step returns itself.
func (s StepID) Prev() StepID {
	n := s.Number()
	if n <= 1 {
		return s
	}
	return All[n-2]
}
