package lever

import (
	"errors"
	"net/url"
	"strconv"
)

// Query builders for the list endpoints. Each field maps to one documented
// parameter; zero values are left out, so Lever's defaults apply to them.

// Confidentiality values for postings, opportunities and requisitions. Lever
// returns only non-confidential records unless asked, and a key without
// confidential access gets a 403 when it asks.
const (
	ConfidentialityNonConfidential = "non-confidential"
	ConfidentialityConfidential    = "confidential"
	ConfidentialityAll             = "all"
)

// Distribution channels of a posting. Published internal-only postings are
// listed only when distributionChannel=internal is asked for.
const (
	ChannelPublic   = "public"
	ChannelInternal = "internal"
)

// PostingsQuery filters GET /postings.
type PostingsQuery struct {
	State               string // published, internal, closed, draft, pending, rejected
	DistributionChannel string // ChannelPublic or ChannelInternal
	Confidentiality     string
	// UpdatedAtStart/End are inclusive ms; Lever combines them only with
	// Confidentiality (see Validate).
	UpdatedAtStart, UpdatedAtEnd int64
	Expand                       []string
}

// Values encodes the query.
func (q PostingsQuery) Values() url.Values {
	v := url.Values{}
	setString(v, "state", q.State)
	setString(v, "distributionChannel", q.DistributionChannel)
	setString(v, "confidentiality", q.Confidentiality)
	setMillis(v, "updated_at_start", q.UpdatedAtStart)
	setMillis(v, "updated_at_end", q.UpdatedAtEnd)
	addAll(v, "expand", q.Expand)
	return v
}

// Validate reports a combination Lever refuses: an updated_at range with any
// filter other than confidentiality.
func (q PostingsQuery) Validate() error {
	if (q.UpdatedAtStart != 0 || q.UpdatedAtEnd != 0) && (q.State != "" || q.DistributionChannel != "") {
		return errors.New("postings: updated_at_start/_end combine only with confidentiality on Lever; drop state and distributionChannel, or the time range")
	}
	return nil
}

// OpportunitiesQuery filters GET /opportunities.
type OpportunitiesQuery struct {
	// Expand is sent as one expand parameter per value.
	Expand                       []string
	Confidentiality              string
	CreatedAtStart, CreatedAtEnd int64
	UpdatedAtStart, UpdatedAtEnd int64
	PostingID                    string
}

// Values encodes the query.
func (q OpportunitiesQuery) Values() url.Values {
	v := url.Values{}
	addAll(v, "expand", q.Expand)
	setString(v, "confidentiality", q.Confidentiality)
	setMillis(v, "created_at_start", q.CreatedAtStart)
	setMillis(v, "created_at_end", q.CreatedAtEnd)
	setMillis(v, "updated_at_start", q.UpdatedAtStart)
	setMillis(v, "updated_at_end", q.UpdatedAtEnd)
	setString(v, "posting_id", q.PostingID)
	return v
}

// UsersQuery filters GET /users. Without IncludeDeactivated, owners who have
// left dangle.
type UsersQuery struct {
	IncludeDeactivated bool
}

// Values encodes the query.
func (q UsersQuery) Values() url.Values {
	v := url.Values{}
	if q.IncludeDeactivated {
		v.Set("includeDeactivated", "true")
	}
	return v
}

// RequisitionsQuery filters GET /requisitions.
type RequisitionsQuery struct {
	Status                       string
	Confidentiality              string
	CreatedAtStart, CreatedAtEnd int64
}

// Values encodes the query.
func (q RequisitionsQuery) Values() url.Values {
	v := url.Values{}
	setString(v, "status", q.Status)
	setString(v, "confidentiality", q.Confidentiality)
	setMillis(v, "created_at_start", q.CreatedAtStart)
	setMillis(v, "created_at_end", q.CreatedAtEnd)
	return v
}

// DeletedQuery is one window of a /postings/deleted or
// /opportunities/deleted list; both bounds are required and inclusive.
type DeletedQuery struct {
	Start, End int64
}

// Values encodes the query; both bounds are always sent.
func (q DeletedQuery) Values() url.Values {
	v := url.Values{}
	v.Set("deleted_at_start", strconv.FormatInt(q.Start, 10))
	v.Set("deleted_at_end", strconv.FormatInt(q.End, 10))
	return v
}

// MaxDeletedWindow is the longest window Lever accepts on the deleted lists.
const MaxDeletedWindow int64 = 30 * 24 * 60 * 60 * 1000

// DeletedWindows splits the inclusive range [start, end] (ms) into
// consecutive windows of at most 30 days, oldest first. It returns nil when
// end < start.
func DeletedWindows(start, end int64) []DeletedQuery {
	var out []DeletedQuery
	for s := start; s <= end; {
		e := end
		if end-s >= MaxDeletedWindow {
			e = s + MaxDeletedWindow - 1
		}
		out = append(out, DeletedQuery{Start: s, End: e})
		if e == end {
			break
		}
		s = e + 1
	}
	return out
}

// ListPath is the list endpoint of an account-wide resource, "" for a
// per-opportunity one.
func ListPath(r Resource) string {
	switch r {
	case Postings, Opportunities, Users, Stages, ArchiveReasons, Sources, Tags, Requisitions:
		return "/" + string(r)
	}
	return ""
}

// DeletedPath is the deleted-records list of r, "" when Lever has none.
func DeletedPath(r Resource) string {
	switch r {
	case Postings, Opportunities:
		return "/" + string(r) + "/deleted"
	}
	return ""
}

// OpportunityDetailPath is the per-opportunity list of a detail resource
// (notes, interviews, offers), "" for any other resource.
func OpportunityDetailPath(id string, r Resource) string {
	switch r {
	case Notes, Interviews, Offers:
		return "/opportunities/" + url.PathEscape(id) + "/" + string(r)
	}
	return ""
}

func setString(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func setMillis(v url.Values, k string, ms int64) {
	if ms != 0 {
		v.Set(k, strconv.FormatInt(ms, 10))
	}
}

func addAll(v url.Values, k string, ss []string) {
	for _, s := range ss {
		if s != "" {
			v.Add(k, s)
		}
	}
}
