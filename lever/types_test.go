package lever_test

import (
	"encoding/json"
	"testing"

	"github.com/leversync/leversync/lever"
)

func TestDecodeOpportunityShapes(t *testing.T) {
	real := `{"id":"o1","name":"Ada","emails":["a@x.io"],"stage":"lead-new","confidentiality":"non-confidential",
		"archived":{"archivedAt":1700000000000,"reason":"r-hired"},"applications":[{"id":"ap","type":"posting","posting":"p1"}],
		"owner":{"id":"u1","name":"Grace"},"tags":["go"],"sources":["LinkedIn"],"origin":"sourced",
		"createdAt":1600000000000,"updatedAt":null,"somethingNew":{"x":1}}`
	o, err := lever.DecodeOpportunity(json.RawMessage(real))
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "o1" || o.Name != "Ada" || o.Stage.ID != "lead-new" || o.Owner.ID != "u1" || o.Owner.Name != "Grace" ||
		o.UpdatedAt != 0 || o.CreatedAt != 1600000000000 || o.Origin != "sourced" || len(o.Emails) != 1 {
		t.Errorf("real shape: %+v", o)
	}
	if o.Archived == nil || o.Archived.ArchivedAt != 1700000000000 || o.Archived.Reason.ID != "r-hired" {
		t.Errorf("real archive: %+v", o.Archived)
	}
	if ids := o.PostingIDs(); len(ids) != 1 || ids[0] != "p1" {
		t.Errorf("posting ids = %v", ids)
	}

	docs := `{"id":"o2","stage":{"id":"s1","text":"Phone screen"},"archivedAt":1700000000001,"archiveReason":"r-2",
		"applications":[{"posting":{"id":"p2","text":"Engineer"}}],"updatedAt":1700000000002}`
	o, err = lever.DecodeOpportunity(json.RawMessage(docs))
	if err != nil {
		t.Fatal(err)
	}
	if o.Stage.ID != "s1" || o.Stage.Name != "Phone screen" || o.UpdatedAt != 1700000000002 {
		t.Errorf("docs shape: %+v", o)
	}
	if o.Archived == nil || o.Archived.ArchivedAt != 1700000000001 || o.Archived.Reason.ID != "r-2" {
		t.Errorf("docs archive: %+v", o.Archived)
	}
	if ids := o.PostingIDs(); len(ids) != 1 || ids[0] != "p2" {
		t.Errorf("expanded posting ids = %v", ids)
	}

	active, err := lever.DecodeOpportunity(json.RawMessage(`{"id":"o3","archived":null,"owner":null,"stage":null,"applications":["ap-1"]}`))
	if err != nil || active.Archived != nil || active.Owner.ID != "" || len(active.Applications) != 1 || active.Applications[0].ID != "ap-1" {
		t.Errorf("active: %+v, %v", active, err)
	}
	if _, err := lever.DecodeOpportunity(json.RawMessage(`{"id":`)); err == nil {
		t.Error("truncated record decoded")
	}
}

func TestDecodeOthers(t *testing.T) {
	p, err := lever.DecodePosting(json.RawMessage(`{"id":"p","text":"Engineer","state":"closed","distributionChannels":null,
		"categories":{"team":"Core","location":"Remote","allLocations":["Remote","Paris"]},"confidentiality":"confidential",
		"createdAt":1,"updatedAt":2.0,"hiringManager":"u9","urls":null}`))
	if err != nil || p.Text != "Engineer" || p.DistributionChannels != nil || p.Categories.Team != "Core" ||
		len(p.Categories.AllLocations) != 2 || p.UpdatedAt != 2 || p.HiringManager.ID != "u9" {
		t.Errorf("posting: %+v, %v", p, err)
	}
	u, err := lever.DecodeUser(json.RawMessage(`{"id":"u","name":"N","email":"e@x","accessRole":"admin","deactivatedAt":5}`))
	if err != nil || u.DeactivatedAt != 5 || u.AccessRole != "admin" {
		t.Errorf("user: %+v, %v", u, err)
	}
	r, err := lever.DecodeArchiveReason(json.RawMessage(`{"id":"r","text":"Hired","status":"active","type":"hired"}`))
	if err != nil || r.Type != "hired" {
		t.Errorf("reason: %+v, %v", r, err)
	}
	s, err := lever.DecodeSource(json.RawMessage(`{"text":"LinkedIn","count":4}`))
	if err != nil || s.Text != "LinkedIn" || s.Count != 4 {
		t.Errorf("source: %+v, %v", s, err)
	}
	iv, err := lever.DecodeInterview(json.RawMessage(`{"id":"i","date":10,"duration":30,"interviewers":[{"id":"u","name":"N"}],"canceledAt":null}`))
	if err != nil || iv.Duration != 30 || len(iv.Interviewers) != 1 || iv.CanceledAt != 0 {
		t.Errorf("interview: %+v, %v", iv, err)
	}
	if m := lever.Millis(1700000000000); m.Time().UnixMilli() != 1700000000000 || !lever.Millis(0).Time().IsZero() {
		t.Error("Millis.Time")
	}
}
