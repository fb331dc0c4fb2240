package steps

import (
	"errors"
	"fmt"
	"time"

	"github.com/leversync/leversync/lever"
)

// CheckStatus is the outcome of one live check of the key.
type CheckStatus string

const (
	Pending CheckStatus = ""
	Granted CheckStatus = "granted"
	Missing CheckStatus = "missing"
	// Unknown: the probe could not tell (a network error, an odd answer).
	Unknown CheckStatus = "could not tell"
)

// Check is one line of the connect step's checklist: a permission, or the
// confidential-data toggle.
type Check struct {
	// Name is the permission as Lever's key screen names it, or
	// ConfidentialName.
	Name string
	// Write marks a write permission; its grant is inferred from an
	// invalid-body probe, so it reads "looks granted".
	Write bool
	// Confidential marks the confidential-data check.
	Confidential bool
	Status       CheckStatus
	// Detail says why, when the status needs explaining.
	Detail string
}

// Label is the status as the checklist shows it.
func (c Check) Label() string {
	switch {
	case c.Status == Pending:
		return "checking"
	case c.Status == Granted && c.Write:
		return "looks granted"
	}
	return string(c.Status)
}

// ConnectReport is everything a connection attempt learned.
type ConnectReport struct {
	// Environment is where the key was checked.
	Environment lever.Environment
	// Err is why the key was not accepted or the checks did not run; nil
	// when the key was verified. It never holds the key.
	Err error
	// BelongsTo is the other hosted environment where a key rejected here
	// is accepted; empty when unknown or not tried.
	BelongsTo lever.Environment
	// Checks are the required permissions then, if wanted, confidential
	// access, in the order they were asked for.
	Checks  []Check
	Elapsed time.Duration
}

// MissingPermissions names the required permissions the key lacks.
func (r ConnectReport) MissingPermissions() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Confidential && c.Status == Missing {
			out = append(out, c.Name)
		}
	}
	return out
}

// confidentialMissing reports whether confidential access was checked and
// found absent.
func (r ConnectReport) confidentialMissing() bool {
	for _, c := range r.Checks {
		if c.Confidential && c.Status == Missing {
			return true
		}
	}
	return false
}

// AfterConnect routes a connection attempt to the step that fixes what went
// wrong, with the reason and the fix, keeping every answer that was right:
//   - a rejected key goes back to pasting it;
//   - a key that works in the other environment goes back to the data step
//     with that environment highlighted (then straight to connect again);
//   - missing permissions go back to creating a key, naming each one;
//   - no confidential access, when wanted, is a warning one may continue past;
//   - a network or Lever failure stays on connect with a retry;
//   - success moves on to the sync and marks the setup complete.
func AfterConnect(s State, r ConnectReport) State {
	s = s.clone()
	env := s.Environment.Title()
	switch {
	case r.Err != nil && errors.Is(r.Err, lever.ErrUnauthorized) && r.BelongsTo != "" && r.BelongsTo != s.Environment:
		s = advance(s, StepData)
		s.Environment = r.BelongsTo
		s.Problem = &Problem{
			Kind:        ProblemOtherEnvironment,
			Reason:      fmt.Sprintf("this key belongs to %s, not %s", r.BelongsTo.Title(), env),
			Fix:         fmt.Sprintf("choose %s (it is now highlighted); the key and permissions you chose stay as they are", r.BelongsTo.Title()),
			Environment: r.BelongsTo,
		}
	case r.Err != nil && errors.Is(r.Err, lever.ErrUnauthorized):
		s = advance(s, StepPasteKey)
		s.Problem = &Problem{
			Kind:   ProblemRejected,
			Reason: fmt.Sprintf("Lever %s rejected this key (401)", env),
			Fix:    "copy the key again, whole, from where you saved it; if it is lost or was revoked, generate a new key in Lever (Settings, Integrations and API, API Credentials)",
		}
	case r.Err != nil:
		s.Step = StepConnect
		s.Problem = &Problem{
			Kind:     ProblemUnavailable,
			Reason:   "could not finish checking the key: " + r.Err.Error(),
			Fix:      "check your network connection, then press r to retry; nothing you entered is lost",
			CanRetry: true,
		}
	case len(r.MissingPermissions()) > 0:
		missing := r.MissingPermissions()
		s = advance(s, StepCreateKey)
		noun := "permission"
		if len(missing) > 1 {
			noun = "permissions"
		}
		s.Problem = &Problem{
			Kind:    ProblemMissingPermissions,
			Reason:  fmt.Sprintf("the key lacks %d %s: %s", len(missing), noun, quoteList(missing)),
			Fix:     "permissions cannot be edited after a key is created: generate a new key with them",
			Missing: missing,
		}
	case s.Confidential && r.confidentialMissing():
		s.Step = StepConnect
		s.Problem = &Problem{
			Kind:        ProblemNoConfidential,
			Reason:      `the key has no "` + ConfidentialName + `": confidential jobs and candidates will be left out`,
			Fix:         "press c to continue without them, or n to generate a new key with the toggle on (it cannot be edited later)",
			CanContinue: true,
		}
	default:
		s = advance(s, StepSync)
		s.Completed = true
	}
	return s
}
