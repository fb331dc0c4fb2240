package permission

import "testing"

func TestForRequest(t *testing.T) {
	cases := []struct {
		method, path, want string
		ok                 bool
	}{
		{"GET", "/opportunities", "find all opportunities", true},
		{"GET", "opportunities/", "find all opportunities", true},
		{"GET", "/opportunities/deleted", "find all opportunities", true},
		{"GET", "/postings/deleted", "find all postings", true},
		{"GET", "/opportunities/abc", "find an opportunity", true},
		{"GET", "/opportunities/abc/notes", "find all opportunity notes", true},
		{"POST", "/opportunities/abc/notes", "create an opportunity note", true},
		{"PUT", "/opportunities/abc/stage", "update an opportunity's stage", true},
		{"GET", "/archive_reasons", "find all archive reasons", true},
		{"GET", "/nothing", "", false},
		{"DELETE", "/opportunities", "", false},
	}
	for _, c := range cases {
		p, ok := ForRequest(c.method, c.path)
		if ok != c.ok || p.Name != c.want {
			t.Errorf("ForRequest(%s %s) = %q, %v; want %q, %v", c.method, c.path, p.Name, ok, c.want, c.ok)
		}
	}
}

func TestNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range All {
		if seen[p.Name] {
			t.Errorf("duplicate permission %q", p.Name)
		}
		seen[p.Name] = true
		if got, ok := ByName(p.Name); !ok || got != p {
			t.Errorf("ByName(%q) = %+v, %v", p.Name, got, ok)
		}
	}
}
