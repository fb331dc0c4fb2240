package steps

import (
	"slices"
	"testing"

	"github.com/leversync/leversync/lever"
)

// TestConcernsPutTheProblemsCheckFirst: a diagnosis shown beside a connect
// failure lists what failed or warns, the check that matches the failure
// first, and leaves out what passed, was noted or skipped.
func TestConcernsPutTheProblemsCheckFirst(t *testing.T) {
	d := Diagnosis{Findings: []Finding{
		{ID: CheckKey, Status: Pass},
		{ID: CheckNetwork, Status: Note},
		{ID: CheckKeyAccepted, Status: Pass},
		{ID: CheckPermissions, Status: Fail},
		{ID: CheckConfidential, Status: Warn},
		{ID: CheckRateLimit, Status: Skip},
		{ID: CheckDataFile, Status: Fail},
	}}
	ids := func(fs []Finding) []CheckID {
		var out []CheckID
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	cases := []struct {
		problem ProblemKind
		want    []CheckID
	}{
		{ProblemNoConfidential, []CheckID{CheckConfidential, CheckPermissions, CheckDataFile}},
		{ProblemMissingPermissions, []CheckID{CheckPermissions, CheckConfidential, CheckDataFile}},
		// The key was accepted, so its check is no concern: check order.
		{ProblemRejected, []CheckID{CheckPermissions, CheckConfidential, CheckDataFile}},
		{ProblemUnavailable, []CheckID{CheckPermissions, CheckConfidential, CheckDataFile}},
	}
	for _, c := range cases {
		got := ids(d.Concerns(Problem{Kind: c.problem}.Check()))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: concerns %v, want %v", c.problem, got, c.want)
		}
	}
	if ids(d.Findings)[4] != CheckConfidential {
		t.Error("Concerns reordered the diagnosis itself")
	}
}

// TestCheckAgainKeepsTheAnswers: from each failure the connect step routed
// to, checking again returns to connect with every answer kept and the
// problem cleared; a key found to belong elsewhere is not checked again.
func TestCheckAgainKeepsTheAnswers(t *testing.T) {
	base := at(StepConnect)
	base.Environment, base.Confidential = lever.Sandbox, true
	missing := AfterConnect(base, ConnectReport{Checks: []Check{{Name: "find all tags", Status: Missing}}})
	for _, s := range []State{
		AfterConnect(base, ConnectReport{Err: lever.ErrUnauthorized}),
		AfterConnect(base, ConnectReport{Err: lever.ErrUnavailable}),
		missing,
		AfterConnect(base, ConnectReport{Checks: []Check{{Name: ConfidentialName, Confidential: true, Status: Missing}}}),
	} {
		next, err := CheckAgain(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Problem.Kind, err)
		}
		if next.Step != StepConnect || next.Problem != nil || next.Environment != lever.Sandbox || !next.Confidential {
			t.Errorf("%s: checked again as %+v", s.Problem.Kind, next)
		}
		if s.Problem == nil {
			t.Errorf("CheckAgain cleared the problem of the state it was given")
		}
	}
	other := AfterConnect(base, ConnectReport{Err: lever.ErrUnauthorized, BelongsTo: lever.Production})
	if _, err := CheckAgain(other); err == nil {
		t.Error("a key of another environment was checked again")
	}
	if _, err := CheckAgain(at(StepPasteKey)); err == nil {
		t.Error("checked again with no problem")
	}
}
