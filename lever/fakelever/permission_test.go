package fakelever

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/leversync/leversync/lever/permission"
)

func TestMissingPermissionsAre403(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 50, Rate: -1})
	for _, p := range []string{"/tags", "/requisitions"} {
		e := get(t, c, s.URL(), KeyMissingTwo, p, "").apiError(t, 403, "ForbiddenError")
		if !strings.HasPrefix(e.Message, "Your Lever account settings don't authorize you to perform the requested operation. Talk to a Super Admin") {
			t.Errorf("403 message %q", e.Message)
		}
		get(t, c, s.URL(), KeyFull, p, "").envelope(t)
	}
	for _, p := range []string{"/stages", "/sources", "/users", "/postings", "/opportunities", "/archive_reasons"} {
		get(t, c, s.URL(), KeyMissingTwo, p, "limit=1").envelope(t)
	}
	// The single requisition is a different permission, still granted.
	reqID := s.data.requisitionID(0)
	if r := get(t, c, s.URL(), KeyMissingTwo, "/requisitions/"+reqID, ""); r.status != 200 {
		t.Errorf("find a requisition: %d %s", r.status, r.body)
	}
}

func TestConfidentialNeedsAccess(t *testing.T) {
	s, c := start(t, Config{Seed: 5, Opportunities: 300, Rate: -1})
	for _, q := range []string{"confidentiality=all", "confidentiality=confidential"} {
		for _, p := range []string{"/opportunities", "/postings", "/requisitions"} {
			get(t, c, s.URL(), KeyNoConfidential, p, q).apiError(t, 403, "ForbiddenError")
			get(t, c, s.URL(), KeyReadOnly, p, q).envelope(t)
		}
	}
	get(t, c, s.URL(), KeyFull, "/opportunities", "confidentiality=secret").apiError(t, 400, "BadRequestError")

	// Only confidential records with confidentiality=confidential.
	e := get(t, c, s.URL(), KeyFull, "/opportunities", "confidentiality=confidential").envelope(t)
	if len(e.Data) == 0 {
		t.Fatal("no confidential opportunities")
	}
	var o struct{ ID, Confidentiality string }
	for _, raw := range e.Data {
		_ = json.Unmarshal(raw, &o)
		if o.Confidentiality != "confidential" {
			t.Fatalf("%s is %s", o.ID, o.Confidentiality)
		}
	}
	get(t, c, s.URL(), KeyNoConfidential, "/opportunities/"+o.ID, "").apiError(t, 403, "ForbiddenError")
	get(t, c, s.URL(), KeyNoConfidential, "/opportunities/"+o.ID+"/notes", "").apiError(t, 403, "ForbiddenError")
	one := get(t, c, s.URL(), KeyFull, "/opportunities/"+o.ID, "")
	if one.status != 200 || !strings.HasPrefix(string(one.body), `{"data":{"id":"`+o.ID) {
		t.Fatalf("single confidential opportunity: %d %s", one.status, one.body)
	}
}

func TestWriteProbes(t *testing.T) {
	s, c := start(t, Config{Seed: 1, Opportunities: 10, Rate: -1})
	oppID, postingID := s.data.oppID(0), s.data.postingID(0)
	for _, p := range permission.Write {
		path := strings.Replace(p.Path, ":id", oppID, 1)
		if strings.HasPrefix(p.Path, "/postings") {
			path = strings.Replace(p.Path, ":id", postingID, 1)
		}
		do(t, c, p.Method, s.URL(), KeyReadOnly, path, "", `{"invalid":`).apiError(t, 403, "ForbiddenError")
		do(t, c, p.Method, s.URL(), KeyFull, path, "", `{"invalid":`).apiError(t, 400, "BadRequestError")
		do(t, c, p.Method, s.URL(), KeyNoConfidential, path, "", `{}`).apiError(t, 400, "BadRequestError")
	}
	// Writes change nothing.
	before := s.Expected("opportunities")
	do(t, c, "POST", s.URL(), KeyFull, "/opportunities", "", `{"name":"x"}`)
	if len(s.Expected("opportunities")) != len(before) {
		t.Fatal("a write changed the data")
	}
}
