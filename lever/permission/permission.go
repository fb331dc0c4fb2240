// Package permission is the catalogue of Lever API key permissions as Lever's
// key screen names them, with the endpoint each one opens. The client (to
// name a missing permission), the fake Lever (to enforce them) and the wizard
// (to list and probe them) all read this one table.
package permission

import "strings"

// Permission is one checkbox on Lever's "Generate New Key" screen.
type Permission struct {
	// Name is the label as Lever shows it, e.g. "find all opportunities".
	Name string
	// Write is true for the Write column, false for Read.
	Write bool
	// Method and Path are the endpoint the permission opens; :id stands for
	// one path segment.
	Method string
	Path   string
	// Sync marks what a plain sync reads; Details what --details adds.
	Sync    bool
	Details bool
}

// Read lists the read permissions in the order Lever's screen shows them.
var Read = []Permission{
	{Name: "find all opportunities", Method: "GET", Path: "/opportunities", Sync: true},
	{Name: "find an opportunity", Method: "GET", Path: "/opportunities/:id"},
	{Name: "find a contact", Method: "GET", Path: "/contacts/:id"},
	{Name: "find all opportunity applications", Method: "GET", Path: "/opportunities/:id/applications"},
	{Name: "find all opportunity notes", Method: "GET", Path: "/opportunities/:id/notes", Details: true},
	{Name: "find all opportunity interviews", Method: "GET", Path: "/opportunities/:id/interviews", Details: true},
	{Name: "find all opportunity offers", Method: "GET", Path: "/opportunities/:id/offers", Details: true},
	{Name: "find all opportunity resumes", Method: "GET", Path: "/opportunities/:id/resumes"},
	{Name: "find all opportunity files", Method: "GET", Path: "/opportunities/:id/files"},
	{Name: "find all postings", Method: "GET", Path: "/postings", Sync: true},
	{Name: "find a posting", Method: "GET", Path: "/postings/:id"},
	{Name: "find all users", Method: "GET", Path: "/users", Sync: true},
	{Name: "find a user", Method: "GET", Path: "/users/:id"},
	{Name: "find all stages", Method: "GET", Path: "/stages", Sync: true},
	{Name: "find a stage", Method: "GET", Path: "/stages/:id"},
	{Name: "find all archive reasons", Method: "GET", Path: "/archive_reasons", Sync: true},
	{Name: "find an archive reason", Method: "GET", Path: "/archive_reasons/:id"},
	{Name: "find all sources", Method: "GET", Path: "/sources", Sync: true},
	{Name: "find all tags", Method: "GET", Path: "/tags", Sync: true},
	{Name: "find all requisitions", Method: "GET", Path: "/requisitions", Sync: true},
	{Name: "find a requisition", Method: "GET", Path: "/requisitions/:id"},
}

// Write lists the write permissions leversync knows how to probe. Lever's
// screen has more; these are the ones a recruiting sync may grow into.
var Write = []Permission{
	{Name: "create an opportunity", Write: true, Method: "POST", Path: "/opportunities"},
	{Name: "create an opportunity note", Write: true, Method: "POST", Path: "/opportunities/:id/notes"},
	{Name: "upload an opportunity file", Write: true, Method: "POST", Path: "/opportunities/:id/files"},
	{Name: "update an opportunity's stage", Write: true, Method: "PUT", Path: "/opportunities/:id/stage"},
	{Name: "add opportunity tags", Write: true, Method: "POST", Path: "/opportunities/:id/addTags"},
	{Name: "add opportunity sources", Write: true, Method: "POST", Path: "/opportunities/:id/addSources"},
	{Name: "apply to a posting", Write: true, Method: "POST", Path: "/postings/:id/apply"},
}

// All is Read followed by Write.
var All = append(append([]Permission{}, Read...), Write...)

// deletedLists are covered by the matching "find all" permission.
var deletedLists = map[string]string{
	"/opportunities/deleted": "/opportunities",
	"/postings/deleted":      "/postings",
}

// ForRequest returns the permission that opens method and path (a path
// relative to the API root, without query), and false when none is known.
func ForRequest(method, path string) (Permission, bool) {
	path = "/" + strings.Trim(path, "/")
	if p, ok := deletedLists[path]; ok && method == "GET" {
		path = p
	}
	for _, p := range All {
		if p.Method == method && match(p.Path, path) {
			return p, true
		}
	}
	return Permission{}, false
}

// ByName returns the permission with that label.
func ByName(name string) (Permission, bool) {
	for _, p := range All {
		if p.Name == name {
			return p, true
		}
	}
	return Permission{}, false
}

func match(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] == ":id" {
			if xs[i] == "" || xs[i] == "deleted" {
				return false
			}
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}
