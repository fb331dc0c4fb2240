package steps

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
)

// report makes a connect report where every required check is granted
// except the names in missing.
func report(s State, err error, missing ...string) ConnectReport {
	r := ConnectReport{Environment: s.Environment, Err: err}
	if err != nil {
		return r
	}
	for _, p := range RequiredPermissions(s) {
		st := Granted
		for _, m := range missing {
			if m == p.Name {
				st = Missing
			}
		}
		r.Checks = append(r.Checks, Check{Name: p.Name, Write: p.Write, Status: st})
	}
	if s.Confidential {
		st := Granted
		for _, m := range missing {
			if m == ConfidentialName {
				st = Missing
			}
		}
		r.Checks = append(r.Checks, Check{Name: ConfidentialName, Confidential: true, Status: st})
	}
	return r
}

func TestAfterConnect(t *testing.T) {
	base := allTicked(at(StepConnect))
	noConf := base
	noConf.Confidential = false
	unauthorized := fmt.Errorf("verify: %w", lever.ErrUnauthorized)
	cases := []struct {
		name        string
		s           State
		r           ConnectReport
		wantStep    StepID
		wantKind    ProblemKind
		wantText    []string
		wantEnv     lever.Environment
		wantMissing []string
		completed   bool
	}{
		{"all granted", base, report(base, nil), StepSync, "", nil, lever.Production, nil, true},
		{"unknown is not a failure", base, func() ConnectReport {
			r := report(base, nil)
			r.Checks[0].Status = Unknown
			return r
		}(), StepSync, "", nil, lever.Production, nil, true},
		{"rejected key", base, report(base, unauthorized), StepPasteKey, ProblemRejected,
			[]string{"rejected this key (401)", "copy the key again", "generate a new key"}, lever.Production, nil, false},
		{"key from sandbox", base, func() ConnectReport {
			r := report(base, unauthorized)
			r.BelongsTo = lever.Sandbox
			return r
		}(), StepData, ProblemOtherEnvironment, []string{"this key belongs to Sandbox, not Production", "choose Sandbox"}, lever.Sandbox, nil, false},
		{"belongs to the same environment is just rejected", base, func() ConnectReport {
			r := report(base, unauthorized)
			r.BelongsTo = lever.Production
			return r
		}(), StepPasteKey, ProblemRejected, nil, lever.Production, nil, false},
		{"two permissions missing", base, report(base, nil, "find all tags", "find all requisitions"), StepCreateKey, ProblemMissingPermissions,
			[]string{`the key lacks 2 permissions: "find all tags" and "find all requisitions"`, "permissions cannot be edited after a key is created: generate a new key with them"},
			lever.Production, []string{"find all tags", "find all requisitions"}, false},
		{"one write permission missing", base, report(base, nil, "create an opportunity"), StepCreateKey, ProblemMissingPermissions,
			[]string{`lacks 1 permission: "create an opportunity"`}, lever.Production, []string{"create an opportunity"}, false},
		{"missing permissions win over confidential", base, report(base, nil, "find all tags", ConfidentialName), StepCreateKey, ProblemMissingPermissions,
			nil, lever.Production, []string{"find all tags"}, false},
		{"no confidential access when wanted", base, report(base, nil, ConfidentialName), StepConnect, ProblemNoConfidential,
			[]string{ConfidentialName, "left out", "press c to continue"}, lever.Production, nil, false},
		{"no confidential access when not wanted", noConf, func() ConnectReport {
			r := report(noConf, nil)
			r.Checks = append(r.Checks, Check{Name: ConfidentialName, Confidential: true, Status: Missing})
			return r
		}(), StepSync, "", nil, lever.Production, nil, true},
		{"network failure", base, report(base, fmt.Errorf("verify: %w", lever.ErrUnavailable)), StepConnect, ProblemUnavailable,
			[]string{"could not finish checking", "press r to retry"}, lever.Production, nil, false},
		{"rate limited", base, report(base, lever.ErrRateLimited), StepConnect, ProblemUnavailable, []string{"429"}, lever.Production, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := AfterConnect(c.s, c.r)
			if got.Step != c.wantStep {
				t.Fatalf("step = %s, want %s", got.Step, c.wantStep)
			}
			if got.Completed != c.completed {
				t.Errorf("completed = %v", got.Completed)
			}
			if got.Environment != c.wantEnv {
				t.Errorf("environment = %s, want %s", got.Environment, c.wantEnv)
			}
			if c.wantKind == "" {
				if got.Problem != nil {
					t.Errorf("unexpected problem %+v", got.Problem)
				}
				return
			}
			if got.Problem == nil || got.Problem.Kind != c.wantKind {
				t.Fatalf("problem = %+v, want kind %s", got.Problem, c.wantKind)
			}
			text := got.Problem.Reason + " | " + got.Problem.Fix
			for _, w := range c.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
			if !reflect.DeepEqual(got.Problem.Missing, c.wantMissing) {
				t.Errorf("missing = %v, want %v", got.Problem.Missing, c.wantMissing)
			}
			// What was right is kept.
			if got.Access != c.s.Access || got.Confidential != c.s.Confidential || got.Provider != c.s.Provider {
				t.Errorf("answers changed: %+v", got)
			}
		})
	}
}

// TestFailureRoutesComeBack follows each failure to its fix and back to
// connect, checking nothing else needs re-entering.
func TestFailureRoutesComeBack(t *testing.T) {
	base := allTicked(at(StepConnect))
	unauthorized := lever.ErrUnauthorized

	// Other environment: choose it, and go straight back to connect.
	r := report(base, unauthorized)
	r.BelongsTo = lever.Sandbox
	s := AfterConnect(base, r)
	s, err := AnswerEnvironment(s, s.Environment)
	if err != nil || s.Step != StepConnect || s.Environment != lever.Sandbox || s.Problem != nil {
		t.Fatalf("other environment route: %+v %v", s, err)
	}

	// Rejected: paste again, then connect.
	s = AfterConnect(base, report(base, unauthorized))
	s, _, err = AnswerPasteKey(s, "anotherkey")
	if err != nil || s.Step != StepConnect {
		t.Fatalf("rejected route: %+v %v", s, err)
	}

	// Missing permissions: the checklist starts over, then paste, connect.
	s = AfterConnect(base, report(base, nil, "find all tags"))
	if len(s.Ticks) != 0 {
		t.Fatalf("checklist not reset: %v", s.Ticks)
	}
	s = allTicked(s)
	s, err = AnswerCreateKey(s)
	if err != nil || s.Step != StepPasteKey || s.Problem != nil {
		t.Fatalf("missing route: %+v %v", s, err)
	}

	// No confidential access: continue, or generate a new key.
	warned := AfterConnect(base, report(base, nil, ConfidentialName))
	s, err = ContinueWithoutConfidential(warned)
	if err != nil || s.Step != StepSync || !s.Completed || s.Confidential {
		t.Fatalf("continue route: %+v %v", s, err)
	}
	s = GenerateNewKey(warned)
	if s.Step != StepCreateKey || !s.Confidential || s.Problem != nil || len(s.Ticks) != 0 {
		t.Fatalf("new key route: %+v", s)
	}

	// Unavailable: stays, and a retry that succeeds completes.
	s = AfterConnect(base, report(base, errors.New("dial tcp: connection refused")))
	if s.Step != StepConnect || !s.Problem.CanRetry {
		t.Fatalf("unavailable: %+v", s)
	}
	s = AfterConnect(s, report(s, nil))
	if s.Step != StepSync || s.Problem != nil {
		t.Fatalf("retry: %+v", s)
	}
}

func TestCheckLabel(t *testing.T) {
	cases := []struct {
		c    Check
		want string
	}{
		{Check{}, "checking"},
		{Check{Status: Granted}, "granted"},
		{Check{Status: Granted, Write: true}, "looks granted"},
		{Check{Status: Missing}, "missing"},
		{Check{Status: Unknown}, "could not tell"},
	}
	for _, c := range cases {
		if got := c.c.Label(); got != c.want {
			t.Errorf("%+v.Label() = %q, want %q", c.c, got, c.want)
		}
	}
}
