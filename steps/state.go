package steps

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/leversync/leversync/lever"
)

// StateVersion is the format of the saved State; a saved State of another
// version is discarded and the wizard starts over.
const StateVersion = 1

// Answer is a reply to a yes/no question that allows "not sure".
type Answer string

const (
	Yes     Answer = "yes"
	No      Answer = "no"
	NotSure Answer = "not_sure"
)

// Answers lists the replies in the order they are offered.
var Answers = []Answer{Yes, No, NotSure}

// Title is the reply as the UI shows it.
func (a Answer) Title() string {
	switch a {
	case Yes:
		return "Yes"
	case No:
		return "No"
	case NotSure:
		return "Not sure"
	}
	return string(a)
}

// OrgType is the kind of system an organization connects.
type OrgType string

const (
	// Recruiting is the type that connects an applicant tracking system.
	Recruiting OrgType = "recruiting"
	HRIS       OrgType = "hris"
	Accounting OrgType = "accounting"
	CRM        OrgType = "crm"
	Ticketing  OrgType = "ticketing"
)

// OrgTypes lists the organization types in the order they are offered.
var OrgTypes = []OrgType{Recruiting, HRIS, Accounting, CRM, Ticketing}

// Title is the type as the UI shows it.
func (o OrgType) Title() string {
	switch o {
	case Recruiting:
		return "Recruiting (ATS)"
	case HRIS:
		return "HR, payroll and directory (HRIS)"
	case Accounting:
		return "Accounting"
	case CRM:
		return "Sales (CRM)"
	case Ticketing:
		return "Ticketing"
	}
	return string(o)
}

// AuthMethod is how the wizard authenticates to the provider.
type AuthMethod string

const (
	// AuthAPIKey is "Use my API key or access token", the supported method.
	AuthAPIKey AuthMethod = "api_key"
	// AuthCredentials is "Use my credentials": planned, not selectable.
	AuthCredentials AuthMethod = "credentials"
)

// AuthMethods lists the methods in the order they are offered.
var AuthMethods = []AuthMethod{AuthAPIKey, AuthCredentials}

// Title is the method as the UI shows it.
func (a AuthMethod) Title() string {
	switch a {
	case AuthAPIKey:
		return "Use my API key or access token"
	case AuthCredentials:
		return "Use my credentials"
	}
	return string(a)
}

// Available reports whether the method can be chosen today.
func (a AuthMethod) Available() bool { return a == AuthAPIKey }

// Access is the set of permissions the user decides to grant the key.
type Access string

const (
	// ReadWrite is Lever's "Select All" under Read and Write: the documented
	// recommendation, since a key's permissions cannot be edited later.
	ReadWrite Access = "read_write"
	// ReadOnly is "Select all read": least privilege for a read-only sync.
	ReadOnly Access = "read_only"
	// Custom is a hand-picked list of permissions.
	Custom Access = "custom"
)

// Accesses lists the choices in the order they are offered.
var Accesses = []Access{ReadWrite, ReadOnly, Custom}

// Title is the choice as the UI shows it.
func (a Access) Title() string {
	switch a {
	case ReadWrite:
		return `Read/Write: "Select All" (recommended)`
	case ReadOnly:
		return `Read only: "Select all read"`
	case Custom:
		return "Choose permissions one by one"
	}
	return string(a)
}

// State is everything the wizard knows: the step reached and every answer.
// It is saved as JSON after each step so a restart resumes. It never holds
// the API key.
type State struct {
	Version int    `json:"version"`
	Step    StepID `json:"step"`

	Admin      Answer `json:"admin,omitempty"`
	SuperAdmin Answer `json:"superAdmin,omitempty"`

	Organization OrgType           `json:"organization,omitempty"`
	Provider     string            `json:"provider,omitempty"`
	AuthMethod   AuthMethod        `json:"authMethod,omitempty"`
	Environment  lever.Environment `json:"environment,omitempty"`

	Access Access `json:"access,omitempty"`
	// Permissions are the names chosen one by one when Access is Custom.
	Permissions []string `json:"permissions,omitempty"`
	// Confidential is whether the key gets "Allow access to confidential
	// data"; without it confidential jobs and candidates are left out.
	Confidential bool `json:"confidential"`

	// Ticks are the ids of the create-key checklist items done.
	Ticks []string `json:"ticks,omitempty"`

	// Completed is set once a key connected; the wizard then opens on sync.
	Completed bool `json:"completed,omitempty"`

	// Problem is the last failure that routed the user back, if any.
	Problem *Problem `json:"problem,omitempty"`
}

// NewState is a fresh wizard whose every default is the documented path,
// so pressing Enter on each step follows Lever's instructions: an admin who
// is a Super Admin, Recruiting, Lever, an API key, Production, Read/Write
// with "Select All", and confidential data included.
func NewState() State {
	return State{
		Version:      StateVersion,
		Step:         StepPrerequisite,
		Admin:        Yes,
		SuperAdmin:   Yes,
		Organization: Recruiting,
		Provider:     ProviderLever,
		AuthMethod:   AuthAPIKey,
		Environment:  lever.Production,
		Access:       ReadWrite,
		Confidential: true,
	}
}

// Encode is the saved form of the state.
func (s State) Encode() ([]byte, error) { return json.Marshal(s) }

// DecodeState reads a saved state. A state from another version, or one
// that names an unknown step, is an error: the caller starts over.
func DecodeState(b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("saved wizard progress is unreadable (%w): starting over", err)
	}
	if s.Version != StateVersion {
		return State{}, fmt.Errorf("saved wizard progress has version %d, this leversync uses %d: starting over", s.Version, StateVersion)
	}
	if !s.Step.Valid() {
		return State{}, fmt.Errorf("saved wizard progress names an unknown step %q: starting over", s.Step)
	}
	return s.withDefaults(), nil
}

// withDefaults fills answers a saved state left empty.
func (s State) withDefaults() State {
	d := NewState()
	if s.Admin == "" {
		s.Admin = d.Admin
	}
	if s.SuperAdmin == "" {
		s.SuperAdmin = d.SuperAdmin
	}
	if s.Organization == "" {
		s.Organization = d.Organization
	}
	if s.Provider == "" {
		s.Provider = d.Provider
	}
	if s.AuthMethod == "" {
		s.AuthMethod = d.AuthMethod
	}
	if s.Environment == "" {
		s.Environment = d.Environment
	}
	if s.Access == "" {
		s.Access = d.Access
	}
	return s
}

// Ticked reports whether the create-key checklist item id is done.
func (s State) Ticked(id string) bool { return slices.Contains(s.Ticks, id) }

// clone copies the slices so a transition never aliases its input.
func (s State) clone() State {
	s.Permissions = slices.Clone(s.Permissions)
	s.Ticks = slices.Clone(s.Ticks)
	if s.Problem != nil {
		p := *s.Problem
		p.Missing = slices.Clone(p.Missing)
		s.Problem = &p
	}
	return s
}
