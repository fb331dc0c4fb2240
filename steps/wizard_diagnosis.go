package steps

import "slices"

// Check is the troubleshooting check that diagnoses the problem: where the
// wizard shows a connect failure's diagnosis, that finding comes first.
// Unavailable has none of its own (the network, Lever, or the rate limit
// may be the cause), so it is "".
func (p Problem) Check() CheckID {
	switch p.Kind {
	case ProblemRejected, ProblemOtherEnvironment:
		return CheckKeyAccepted
	case ProblemMissingPermissions:
		return CheckPermissions
	case ProblemNoConfidential:
		return CheckConfidential
	}
	return ""
}

// Concerns are the findings that failed or warn, in check order but with
// the finding of check first at the top: what a front end shows of a
// diagnosis beside a problem.
func (d Diagnosis) Concerns(first CheckID) []Finding {
	var out []Finding
	for _, f := range d.Findings {
		if f.Status == Fail || f.Status == Warn {
			out = append(out, f)
		}
	}
	if i := slices.IndexFunc(out, func(f Finding) bool { return f.ID == first }); i > 0 {
		f := out[i]
		out = slices.Insert(slices.Delete(out, i, i+1), 0, f)
	}
	return out
}

// CheckAgain goes back to the connect step from a failure it routed to, to
// check the same key again once something was changed outside (the
// network, Lever, the key's settings): the key stays in the caller's
// memory. A key that belongs to another environment is not checked again
// here: the data step has already switched to that one.
func CheckAgain(s State) (State, error) {
	if s.Problem == nil || s.Problem.Kind == ProblemOtherEnvironment {
		return s, stepErr(s.Step, "nothing to check again", "")
	}
	return advance(s.clone(), StepConnect), nil
}
