package steps

import (
	"fmt"

	"github.com/leversync/leversync/lever"
)

// The transitions below are pure: each takes the state and a step's answer
// and returns the next state, or the state with the answer recorded and a
// *StepError saying why the step cannot be left yet.

// AnswerPrerequisite records whether the user is a Lever admin and a Super
// Admin. Both "yes" moves on; anything else stays, with what to do.
func AnswerPrerequisite(s State, admin, superAdmin Answer) (State, error) {
	s = s.clone()
	s.Admin, s.SuperAdmin = admin, superAdmin
	switch {
	case admin == No:
		return s, stepErr(StepPrerequisite, "leversync needs Lever administrator rights",
			"ask a Lever Super Admin to give you admin rights, or hand them the instructions (press h) so they create the key")
	case admin != Yes:
		return s, stepErr(StepPrerequisite, "check your rights first",
			"in Lever, open Settings; if you see Integrations and API on the left, you have admin rights")
	case superAdmin == No:
		return s, stepErr(StepPrerequisite, "only a Lever Super Admin can generate API keys",
			"ask a Super Admin to make you one, or hand them the instructions (press h) so they create the key")
	case superAdmin != Yes:
		return s, stepErr(StepPrerequisite, "check your access role first",
			"in Lever, open Settings, then Users, and find yourself: the Access role column says Super Admin if you are one")
	}
	return advance(s, StepOrganization), nil
}

// AnswerOrganization records the organization type; only Recruiting (the
// type that connects an ATS) moves on.
func AnswerOrganization(s State, org OrgType) (State, error) {
	s = s.clone()
	s.Organization = org
	if org != Recruiting {
		return s, stepErr(StepOrganization, fmt.Sprintf("%s does not connect an applicant tracking system", org.Title()),
			"Lever is an ATS, which is the Recruiting type: choose Recruiting to continue (it is now highlighted)")
	}
	return advance(s, StepProvider), nil
}

// AnswerProvider records the provider; only a supported one moves on.
func AnswerProvider(s State, id string) (State, error) {
	p, ok := ProviderByID(id)
	if !ok {
		return s, stepErr(StepProvider, fmt.Sprintf("%q is not in the list", id), "type to filter, then choose Lever")
	}
	s = s.clone()
	s.Provider = id
	if !p.Supported {
		return s, stepErr(StepProvider, p.Name+" is not supported yet", "leversync connects Lever: choose Lever to continue")
	}
	return advance(s, StepAuthMethod), nil
}

// AnswerAuthMethod records the method; only the API key moves on.
func AnswerAuthMethod(s State, m AuthMethod) (State, error) {
	if m != AuthAPIKey && m != AuthCredentials {
		return s, stepErr(StepAuthMethod, fmt.Sprintf("unknown method %q", m), "choose Use my API key or access token")
	}
	s = s.clone()
	s.AuthMethod = m
	if !m.Available() {
		return s, stepErr(StepAuthMethod, `"Use my credentials" is planned, not available yet`,
			"choose Use my API key or access token")
	}
	return advance(s, StepData), nil
}

// AnswerEnvironment records which Lever host the key belongs to. When the
// connect step sent the user here because the key works elsewhere, the key
// and permissions were right, so it goes straight back to connect.
func AnswerEnvironment(s State, env lever.Environment) (State, error) {
	if _, err := lever.ParseEnvironment(string(env)); err != nil {
		return s, stepErr(StepData, fmt.Sprintf("unknown environment %q", env), "choose Production, Sandbox or EU")
	}
	s = s.clone()
	s.Environment = env
	if s.Problem != nil && s.Problem.Kind == ProblemOtherEnvironment {
		return advance(s, StepConnect), nil
	}
	return advance(s, StepPermissions), nil
}

// AnswerPermissions records what the key will be granted. A custom list
// must include the reads the sync needs.
func AnswerPermissions(s State, access Access, custom []string, confidential bool) (State, error) {
	s = s.clone()
	s.Access, s.Confidential = access, confidential
	s.Permissions = nil
	switch access {
	case ReadWrite, ReadOnly:
	case Custom:
		s.Permissions = append([]string(nil), custom...)
		if err := checkCustom(custom); err != nil {
			return s, err
		}
	default:
		return s, stepErr(StepPermissions, fmt.Sprintf("unknown choice %q", access), "choose Read/Write, Read only or one by one")
	}
	return advance(s, StepCreateKey), nil
}

// AnswerCreateKey moves on once every click of the checklist is ticked.
func AnswerCreateKey(s State) (State, error) {
	if left := Unticked(s); len(left) > 0 {
		return s, stepErr(StepCreateKey, fmt.Sprintf("%d of %d steps not ticked yet (next: %s)", len(left), len(CreateKeyChecklist(s)), left[0].Text),
			"tick each step once you have done it in Lever")
	}
	return advance(s, StepPasteKey), nil
}

// AnswerPasteKey validates the pasted key and moves on to connect. The key
// is returned to the caller, never stored in the state.
func AnswerPasteKey(s State, raw string) (State, lever.APIKey, error) {
	key, err := ValidateKey(raw)
	if err != nil {
		return s, lever.APIKey{}, &StepError{Step: StepPasteKey, Reason: err.Error()}
	}
	return advance(s, StepConnect), key, nil
}

// ContinueWithoutConfidential accepts the connect step's warning that the
// key has no confidential access, and moves on to the sync.
func ContinueWithoutConfidential(s State) (State, error) {
	if s.Step != StepConnect || s.Problem == nil || !s.Problem.CanContinue {
		return s, stepErr(s.Step, "nothing to continue past", "")
	}
	s = advance(s.clone(), StepSync)
	s.Confidential = false
	s.Completed = true
	return s, nil
}

// GenerateNewKey leaves the connect step's confidential warning for the
// create-key step, to make a key with the toggle on.
func GenerateNewKey(s State) State {
	s = advance(s.clone(), StepCreateKey)
	s.Confidential = true
	return s
}

// Back is the step before, with any problem cleared; the first step and a
// completed setup's sync view stay where they are.
func Back(s State) State {
	if s.Step == StepSync || s.Step == StepPrerequisite {
		return s
	}
	s = s.clone()
	s.Step = s.Step.Prev()
	s.Problem = nil
	return s
}

// Resume is where a restart opens: a completed setup on the sync view; the
// connect step, which needs the key that only lived in memory, on the paste
// step when the caller holds no key.
func Resume(s State, haveKey bool) State {
	s = s.clone()
	switch {
	case s.Completed:
		s.Step = StepSync
	case !s.Step.Valid():
		s.Step = StepPrerequisite
	case s.Step == StepConnect && !haveKey:
		s.Step = StepPasteKey
	case s.Step == StepSync:
		// Only a completed setup reaches the sync view.
		s.Step = StepPasteKey
	}
	return s
}

// StartOver is the wizard from step 1 again (to replace a key or change
// environment), keeping the earlier answers as defaults.
func StartOver(s State) State {
	s = s.clone()
	if s.Version == 0 {
		return NewState()
	}
	s.Step, s.Completed, s.Problem, s.Ticks = StepPrerequisite, false, nil, nil
	return s
}

// advance moves to step and clears the problem the previous step showed.
func advance(s State, step StepID) State {
	s.Step = step
	s.Problem = nil
	if step == StepCreateKey {
		// A new key means walking the clicks again.
		s.Ticks = nil
	}
	return s
}
