package steps

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/permission"
)

func at(step StepID) State {
	s := NewState()
	s.Step = step
	return s
}

func allTicked(s State) State {
	for _, it := range CreateKeyChecklist(s) {
		if !s.Ticked(it.ID) {
			s = ToggleTick(s, it.ID)
		}
	}
	return s
}

func syncReadNames() []string {
	var out []string
	for _, p := range permission.Read {
		if p.Sync {
			out = append(out, p.Name)
		}
	}
	return out
}

func TestStepOrder(t *testing.T) {
	want := []string{"prerequisite", "organization", "provider", "auth_method", "data", "permissions", "create_key", "paste_key", "connect", "sync"}
	if len(All) != 10 || Total != 10 {
		t.Fatalf("want 10 steps, got %d", len(All))
	}
	for i, id := range All {
		if string(id) != want[i] {
			t.Errorf("step %d = %q, want %q", i+1, id, want[i])
		}
		if id.Number() != i+1 {
			t.Errorf("%s.Number() = %d, want %d", id, id.Number(), i+1)
		}
		if id.Title() == "" {
			t.Errorf("%s has no title", id)
		}
	}
	if got := StepData.Header(); got != "Step 5 of 10: Data" {
		t.Errorf("header = %q", got)
	}
	if StepID("nope").Valid() || StepID("nope").Number() != 0 {
		t.Error("unknown step counted as valid")
	}
	if StepPrerequisite.Prev() != StepPrerequisite {
		t.Error("ends of the flow must stay put")
	}
}

// TestTransitions walks every forward edge and every answer a step refuses.
func TestTransitions(t *testing.T) {
	custom := append(syncReadNames(), "create an opportunity")
	cases := []struct {
		name     string
		from     State
		answer   func(State) (State, error)
		wantStep StepID
		wantErr  string // substring of the error; "" means none
	}{
		{"prerequisite yes yes", at(StepPrerequisite), func(s State) (State, error) { return AnswerPrerequisite(s, Yes, Yes) }, StepOrganization, ""},
		{"prerequisite not admin", at(StepPrerequisite), func(s State) (State, error) { return AnswerPrerequisite(s, No, Yes) }, StepPrerequisite, "administrator rights"},
		{"prerequisite admin not sure", at(StepPrerequisite), func(s State) (State, error) { return AnswerPrerequisite(s, NotSure, Yes) }, StepPrerequisite, "if you see Integrations and API on the left"},
		{"prerequisite not super admin", at(StepPrerequisite), func(s State) (State, error) { return AnswerPrerequisite(s, Yes, No) }, StepPrerequisite, "only a Lever Super Admin can generate API keys"},
		{"prerequisite super admin not sure", at(StepPrerequisite), func(s State) (State, error) { return AnswerPrerequisite(s, Yes, NotSure) }, StepPrerequisite, "Super Admin"},
		{"organization recruiting", at(StepOrganization), func(s State) (State, error) { return AnswerOrganization(s, Recruiting) }, StepProvider, ""},
		{"organization other", at(StepOrganization), func(s State) (State, error) { return AnswerOrganization(s, HRIS) }, StepOrganization, "choose Recruiting"},
		{"provider lever", at(StepProvider), func(s State) (State, error) { return AnswerProvider(s, ProviderLever) }, StepAuthMethod, ""},
		{"provider unsupported", at(StepProvider), func(s State) (State, error) { return AnswerProvider(s, "greenhouse") }, StepProvider, "Greenhouse is not supported yet"},
		{"provider unknown", at(StepProvider), func(s State) (State, error) { return AnswerProvider(s, "nope") }, StepProvider, "not in the list"},
		{"auth api key", at(StepAuthMethod), func(s State) (State, error) { return AnswerAuthMethod(s, AuthAPIKey) }, StepData, ""},
		{"auth credentials planned", at(StepAuthMethod), func(s State) (State, error) { return AnswerAuthMethod(s, AuthCredentials) }, StepAuthMethod, "planned"},
		{"auth unknown", at(StepAuthMethod), func(s State) (State, error) { return AnswerAuthMethod(s, "oauth") }, StepAuthMethod, "unknown method"},
		{"data production", at(StepData), func(s State) (State, error) { return AnswerEnvironment(s, lever.Production) }, StepPermissions, ""},
		{"data sandbox", at(StepData), func(s State) (State, error) { return AnswerEnvironment(s, lever.Sandbox) }, StepPermissions, ""},
		{"data eu", at(StepData), func(s State) (State, error) { return AnswerEnvironment(s, lever.EU) }, StepPermissions, ""},
		{"data unknown", at(StepData), func(s State) (State, error) { return AnswerEnvironment(s, "mars") }, StepData, "unknown environment"},
		{"data after other-environment problem goes back to connect", func() State {
			s := at(StepData)
			s.Problem = &Problem{Kind: ProblemOtherEnvironment, Environment: lever.Sandbox}
			return s
		}(), func(s State) (State, error) { return AnswerEnvironment(s, lever.Sandbox) }, StepConnect, ""},
		{"permissions read write", at(StepPermissions), func(s State) (State, error) { return AnswerPermissions(s, ReadWrite, nil, true) }, StepCreateKey, ""},
		{"permissions read only", at(StepPermissions), func(s State) (State, error) { return AnswerPermissions(s, ReadOnly, nil, false) }, StepCreateKey, ""},
		{"permissions custom", at(StepPermissions), func(s State) (State, error) { return AnswerPermissions(s, Custom, custom, true) }, StepCreateKey, ""},
		{"permissions custom empty", at(StepPermissions), func(s State) (State, error) { return AnswerPermissions(s, Custom, nil, true) }, StepPermissions, "no permission chosen"},
		{"permissions custom unknown", at(StepPermissions), func(s State) (State, error) {
			return AnswerPermissions(s, Custom, append(syncReadNames(), "launch rockets"), true)
		}, StepPermissions, `"launch rockets" is not a permission`},
		{"permissions custom lacks sync reads", at(StepPermissions), func(s State) (State, error) {
			return AnswerPermissions(s, Custom, []string{"find all opportunities"}, true)
		}, StepPermissions, `"find all tags"`},
		{"permissions unknown access", at(StepPermissions), func(s State) (State, error) { return AnswerPermissions(s, "admin", nil, true) }, StepPermissions, "unknown choice"},
		{"create key all ticked", allTicked(at(StepCreateKey)), func(s State) (State, error) { return AnswerCreateKey(s) }, StepPasteKey, ""},
		{"create key none ticked", at(StepCreateKey), func(s State) (State, error) { return AnswerCreateKey(s) }, StepCreateKey, "10 of 10 steps not ticked yet (next: In Lever, click your profile icon"},
		{"create key one left", func() State {
			s := allTicked(at(StepCreateKey))
			return ToggleTick(s, "copy")
		}(), func(s State) (State, error) { return AnswerCreateKey(s) }, StepCreateKey, "1 of 10 steps not ticked yet (next: Copy the key now"},
		{"paste key good", at(StepPasteKey), func(s State) (State, error) { s, _, err := AnswerPasteKey(s, " abc123 \n"); return s, err }, StepConnect, ""},
		{"paste key empty", at(StepPasteKey), func(s State) (State, error) { s, _, err := AnswerPasteKey(s, " \n "); return s, err }, StepPasteKey, "no key yet"},
		{"continue without confidential", func() State {
			s := at(StepConnect)
			s.Problem = &Problem{Kind: ProblemNoConfidential, CanContinue: true}
			return s
		}(), ContinueWithoutConfidential, StepSync, ""},
		{"continue with nothing to continue past", at(StepConnect), ContinueWithoutConfidential, StepConnect, "nothing to continue past"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fmt.Sprintf("%+v", c.from)
			got, err := c.answer(c.from)
			if c.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.wantErr != "" {
				var se *StepError
				if !errors.As(err, &se) {
					t.Fatalf("want a *StepError containing %q, got %v", c.wantErr, err)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %q does not contain %q", err, c.wantErr)
				}
				if se.Step != c.from.Step {
					t.Errorf("error names step %s, want %s", se.Step, c.from.Step)
				}
			}
			if got.Step != c.wantStep {
				t.Errorf("step = %s, want %s", got.Step, c.wantStep)
			}
			if after := fmt.Sprintf("%+v", c.from); after != before {
				t.Errorf("transition changed its input:\n%s\n%s", before, after)
			}
			if err == nil && got.Problem != nil {
				t.Errorf("moving on kept the problem %+v", got.Problem)
			}
		})
	}
}

func TestAnswersAreRecordedEvenWhenRefused(t *testing.T) {
	s, _ := AnswerPrerequisite(NewState(), Yes, NotSure)
	if s.Admin != Yes || s.SuperAdmin != NotSure {
		t.Errorf("answers not kept: %+v", s)
	}
	s, _ = AnswerOrganization(at(StepOrganization), CRM)
	if s.Organization != CRM {
		t.Errorf("organization not kept: %s", s.Organization)
	}
	s, _ = AnswerPermissions(at(StepPermissions), Custom, []string{"find all opportunities"}, false)
	if s.Access != Custom || s.Confidential || len(s.Permissions) != 1 {
		t.Errorf("permissions not kept: %+v", s)
	}
	s, _ = AnswerPermissions(s, ReadOnly, []string{"ignored"}, true)
	if s.Permissions != nil {
		t.Errorf("non-custom access kept a custom list: %v", s.Permissions)
	}
}

func TestEnterFollowsTheGuide(t *testing.T) {
	s := NewState()
	var err error
	if s, err = AnswerPrerequisite(s, s.Admin, s.SuperAdmin); err != nil {
		t.Fatal(err)
	}
	if s, err = AnswerOrganization(s, s.Organization); err != nil {
		t.Fatal(err)
	}
	if s, err = AnswerProvider(s, s.Provider); err != nil {
		t.Fatal(err)
	}
	if s, err = AnswerAuthMethod(s, s.AuthMethod); err != nil {
		t.Fatal(err)
	}
	if s, err = AnswerEnvironment(s, s.Environment); err != nil {
		t.Fatal(err)
	}
	if s, err = AnswerPermissions(s, s.Access, s.Permissions, s.Confidential); err != nil {
		t.Fatal(err)
	}
	s = allTicked(s)
	if s, err = AnswerCreateKey(s); err != nil {
		t.Fatal(err)
	}
	if s.Step != StepPasteKey || s.Environment != lever.Production || s.Access != ReadWrite || !s.Confidential {
		t.Errorf("defaults did not follow the documented path: %+v", s)
	}
}

func TestBack(t *testing.T) {
	for i, id := range All {
		s := at(id)
		s.Problem = &Problem{Kind: ProblemRejected}
		got := Back(s)
		switch id {
		case StepPrerequisite, StepSync:
			if got.Step != id {
				t.Errorf("Back(%s) = %s, want to stay", id, got.Step)
			}
		default:
			if got.Step != All[i-1] {
				t.Errorf("Back(%s) = %s, want %s", id, got.Step, All[i-1])
			}
			if got.Problem != nil {
				t.Errorf("Back(%s) kept the problem", id)
			}
		}
	}
}

func TestResume(t *testing.T) {
	done := at(StepConnect)
	done.Completed = true
	cases := []struct {
		name    string
		s       State
		haveKey bool
		want    StepID
	}{
		{"completed opens on sync", done, false, StepSync},
		{"connect without key asks for it", at(StepConnect), false, StepPasteKey},
		{"connect with key stays", at(StepConnect), true, StepConnect},
		{"sync without completion", at(StepSync), true, StepPasteKey},
		{"middle step stays", at(StepPermissions), false, StepPermissions},
		{"unknown step starts over", at("nowhere"), false, StepPrerequisite},
	}
	for _, c := range cases {
		if got := Resume(c.s, c.haveKey).Step; got != c.want {
			t.Errorf("%s: Resume = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestTicks(t *testing.T) {
	s := at(StepCreateKey)
	s = ToggleTick(s, "profile")
	if !s.Ticked("profile") || len(Unticked(s)) != 9 {
		t.Fatalf("ToggleTick did not tick the first item: %v", s.Ticks)
	}
	s = ToggleTick(s, "profile")
	if s.Ticked("profile") {
		t.Fatal("ToggleTick did not untick")
	}
	s = allTicked(s)
	if len(Unticked(s)) != 0 {
		t.Errorf("unticked after ticking all: %v", Unticked(s))
	}
	// Entering the create-key step again starts the checklist over.
	back, _ := AnswerPermissions(Back(s), ReadWrite, nil, true)
	if len(back.Ticks) != 0 {
		t.Errorf("ticks kept after choosing permissions again: %v", back.Ticks)
	}
}

func TestChecklistFollowsChoices(t *testing.T) {
	text := func(s State, id string) string {
		for _, it := range CreateKeyChecklist(s) {
			if it.ID == id {
				return it.Text
			}
		}
		return ""
	}
	s := NewState()
	if got := text(s, "permissions"); !strings.Contains(got, `"Select All"`) {
		t.Errorf("read/write: %q", got)
	}
	s.Access = ReadOnly
	if got := text(s, "permissions"); !strings.Contains(got, `"Select all read"`) {
		t.Errorf("read only: %q", got)
	}
	s.Access, s.Permissions = Custom, []string{"find all tags", "create an opportunity"}
	if got := text(s, "permissions"); !strings.Contains(got, "Tick the 2 permissions") {
		t.Errorf("custom: %q", got)
	}
	if got := text(s, "confidential"); !strings.HasPrefix(got, "Turn on") {
		t.Errorf("confidential on: %q", got)
	}
	s.Confidential = false
	if got := text(s, "confidential"); !strings.HasPrefix(got, "Leave") {
		t.Errorf("confidential off: %q", got)
	}
	if got := text(s, "name"); got != `Name it "leversync"` {
		t.Errorf("name: %q", got)
	}
}

func TestRequiredPermissions(t *testing.T) {
	names := func(ps []permission.Permission) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	ro := at(StepPermissions)
	ro.Access = ReadOnly
	got := RequiredPermissions(ro)
	for _, p := range got {
		if p.Write || (!p.Sync && !p.Details) {
			t.Errorf("read only requires %q, which the sync does not read", p.Name)
		}
	}
	if len(got) != len(syncReadNames())+3 {
		t.Errorf("read only = %v", names(got))
	}
	rw := RequiredPermissions(NewState())
	if len(rw) != len(got)+len(permission.Write) {
		t.Errorf("read/write = %d permissions, want %d", len(rw), len(got)+len(permission.Write))
	}
	c := at(StepPermissions)
	c.Access, c.Permissions = Custom, []string{"create an opportunity", "find all tags"}
	if got := names(RequiredPermissions(c)); !reflect.DeepEqual(got, []string{"find all tags", "create an opportunity"}) {
		t.Errorf("custom = %v, want catalogue order", got)
	}
}

func TestFilterProviders(t *testing.T) {
	cases := []struct {
		q    string
		want []string
	}{
		{"", nil},
		{"lev", []string{"Lever"}},
		{"  LEVER ", []string{"Lever"}},
		{"work", []string{"Workable", "Workday Recruiting"}},
		{"zzz", []string{}},
	}
	for _, c := range cases {
		var got []string
		for _, p := range FilterProviders(c.q) {
			got = append(got, p.Name)
		}
		if c.want == nil {
			if len(got) != len(Providers) || got[0] != "Lever" {
				t.Errorf("empty filter = %v", got)
			}
			continue
		}
		if len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("filter %q = %v, want %v", c.q, got, c.want)
		}
	}
	for _, p := range Providers {
		if p.Supported != (p.ID == ProviderLever) {
			t.Errorf("%s supported = %v", p.Name, p.Supported)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := allTicked(at(StepConnect))
	s.Access, s.Permissions = Custom, syncReadNames()
	s.Problem = &Problem{Kind: ProblemMissingPermissions, Missing: []string{"find all tags"}, Reason: "r", Fix: "f"}
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	for _, bad := range []string{`{`, `{"version":99,"step":"data"}`, `{"version":1,"step":"nowhere"}`} {
		if _, err := DecodeState([]byte(bad)); err == nil || !strings.Contains(err.Error(), "starting over") {
			t.Errorf("DecodeState(%s) = %v", bad, err)
		}
	}
	old, err := DecodeState([]byte(`{"version":1,"step":"data"}`))
	if err != nil || old.Environment != lever.Production || old.Access != ReadWrite {
		t.Errorf("defaults not filled: %+v %v", old, err)
	}
}

func TestHandoffText(t *testing.T) {
	s := NewState()
	got := HandoffText(s)
	for _, want := range []string{"Super Admin", "Integrations and API", "Generate New Key", `"leversync"`, `"Select All"`, "password manager"} {
		if !strings.Contains(got, want) {
			t.Errorf("hand-off text lacks %q:\n%s", want, got)
		}
	}
	s.Access, s.Permissions = Custom, []string{"find all tags"}
	if got := HandoffText(s); !strings.Contains(got, "find all tags (Read)") {
		t.Errorf("custom hand-off does not list the permissions:\n%s", got)
	}
}

func TestStartOver(t *testing.T) {
	s := allTicked(at(StepSync))
	s.Completed, s.Environment, s.Access = true, lever.Sandbox, ReadOnly
	s.Problem = &Problem{Kind: ProblemNoConfidential}
	got := StartOver(s)
	if got.Step != StepPrerequisite || got.Completed || got.Problem != nil || len(got.Ticks) != 0 {
		t.Errorf("StartOver = %+v", got)
	}
	if got.Environment != lever.Sandbox || got.Access != ReadOnly {
		t.Errorf("earlier answers lost: %+v", got)
	}
	if z := StartOver(State{}); z.Version != StateVersion || z.Step != StepPrerequisite {
		t.Errorf("StartOver of nothing = %+v", z)
	}
}
