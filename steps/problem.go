package steps

import "github.com/leversync/leversync/lever"

// ProblemKind names why the wizard routed the user back.
type ProblemKind string

const (
	// ProblemRejected: Lever answered 401; the key was not copied whole,
	// was revoked, or is unknown.
	ProblemRejected ProblemKind = "rejected"
	// ProblemOtherEnvironment: the key works, but in another environment.
	ProblemOtherEnvironment ProblemKind = "other_environment"
	// ProblemMissingPermissions: the key lacks permissions the choice needs.
	ProblemMissingPermissions ProblemKind = "missing_permissions"
	// ProblemNoConfidential: confidential access was wanted and is absent;
	// the user may continue without confidential records.
	ProblemNoConfidential ProblemKind = "no_confidential"
	// ProblemUnavailable: Lever or the network failed; retrying may help.
	ProblemUnavailable ProblemKind = "unavailable"
)

// Problem is a failure the wizard explains: what happened and what to do.
// It never holds the key.
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Reason string      `json:"reason"`
	Fix    string      `json:"fix"`
	// Missing names the permissions the key lacks.
	Missing []string `json:"missing,omitempty"`
	// Environment is where the key does work, for ProblemOtherEnvironment.
	Environment lever.Environment `json:"environment,omitempty"`
	// CanContinue: a warning the user may accept and go on.
	CanContinue bool `json:"canContinue,omitempty"`
	// CanRetry: trying again unchanged may succeed.
	CanRetry bool `json:"canRetry,omitempty"`
}

// StepError is an answer a step does not accept, with what to do instead.
type StepError struct {
	Step   StepID
	Reason string
	Fix    string
}

func (e *StepError) Error() string {
	if e.Fix == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Fix
}

func stepErr(step StepID, reason, fix string) error {
	return &StepError{Step: step, Reason: reason, Fix: fix}
}
