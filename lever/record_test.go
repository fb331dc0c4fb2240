package lever

import (
	"slices"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	cases := []struct {
		name     string
		r        Resource
		raw      string
		id       string
		updated  int64
		postings []string
		wantErr  bool
	}{
		{"expanded applications", Opportunities, `{"id":"o1","updatedAt":12,"applications":[{"id":"a","posting":"p1"},{"posting":{"id":"p2"}}]}`, "o1", 12, []string{"p1", "p2"}, false},
		{"application ids", Opportunities, `{"id":"o2","updatedAt":null,"applications":["a1","a2"]}`, "o2", 0, nil, false},
		{"no application posting", Opportunities, `{"id":"o3","applications":[{"id":"a","posting":null}]}`, "o3", 0, nil, false},
		{"source by text", Sources, `{"text":"LinkedIn","count":3}`, "LinkedIn", 0, nil, false},
		{"tag without text", Tags, `{"count":3}`, "", 0, nil, true},
		{"no id", Users, `{"name":"x"}`, "", 0, nil, true},
		{"not json", Users, `{"id":`, "", 0, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := DecodeRecord(c.r, []byte(c.raw), "")
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if rec.ID != c.id || rec.UpdatedAt != c.updated || !slices.Equal(rec.PostingIDs, c.postings) || string(rec.Raw) != c.raw {
				t.Errorf("got %+v", rec)
			}
		})
	}
}
