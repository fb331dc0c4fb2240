package steps

import "strings"

// ProviderLever is the id of the one supported provider.
const ProviderLever = "lever"

// Provider is an applicant tracking system in the searchable list.
type Provider struct {
	ID   string
	Name string
	// Supported is false for the providers listed as not supported yet.
	Supported bool
}

// Providers is the list the provider step searches: Lever first, then the
// others alphabetically.
var Providers = []Provider{
	{ID: ProviderLever, Name: "Lever", Supported: true},
	{ID: "ashby", Name: "Ashby"},
	{ID: "bamboohr", Name: "BambooHR"},
	{ID: "bullhorn", Name: "Bullhorn"},
	{ID: "greenhouse", Name: "Greenhouse"},
	{ID: "icims", Name: "iCIMS"},
	{ID: "jazzhr", Name: "JazzHR"},
	{ID: "jobvite", Name: "Jobvite"},
	{ID: "recruitee", Name: "Recruitee"},
	{ID: "smartrecruiters", Name: "SmartRecruiters"},
	{ID: "teamtailor", Name: "Teamtailor"},
	{ID: "workable", Name: "Workable"},
	{ID: "workday", Name: "Workday Recruiting"},
}

// ProviderByID returns the provider with that id.
func ProviderByID(id string) (Provider, bool) {
	for _, p := range Providers {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// FilterProviders returns the providers whose name contains query, ignoring
// case and surrounding space; an empty query returns them all.
func FilterProviders(query string) []Provider {
	q := strings.ToLower(strings.TrimSpace(query))
	var out []Provider
	for _, p := range Providers {
		if q == "" || strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(p.ID, q) {
			out = append(out, p)
		}
	}
	return out
}
