package lever

import "encoding/json"

// Resource names a kind of record the sync keeps. The names are the store's
// bucket names and the export command's --resource values.
type Resource string

const (
	Postings       Resource = "postings"
	Opportunities  Resource = "opportunities"
	Users          Resource = "users"
	Stages         Resource = "stages"
	ArchiveReasons Resource = "archive_reasons"
	Sources        Resource = "sources"
	Tags           Resource = "tags"
	Requisitions   Resource = "requisitions"
	// Per-opportunity detail, fetched one request per opportunity each.
	Notes      Resource = "notes"
	Interviews Resource = "interviews"
	Offers     Resource = "offers"
)

// ListResources are the account-wide lists a sync reads, in phase order.
var ListResources = []Resource{Users, Stages, ArchiveReasons, Sources, Tags, Requisitions, Postings, Opportunities}

// DetailResources are the per-opportunity lists of the optional details phase.
var DetailResources = []Resource{Notes, Interviews, Offers}

// AllResources is every resource the store keeps.
var AllResources = append(append([]Resource{}, ListResources...), DetailResources...)

// TextKeyed reports whether records of r have no id and are keyed by their
// exact, case-sensitive text (sources and tags).
func (r Resource) TextKeyed() bool { return r == Sources || r == Tags }

// Record is one Lever object as received: its key and its raw JSON, kept
// whole because Lever adds fields without notice.
type Record struct {
	// ID is Lever's id, or the exact text for sources and tags.
	ID string
	// Raw is the JSON object exactly as Lever sent it.
	Raw json.RawMessage
	// CreatedAt and UpdatedAt are the record's createdAt and updatedAt in
	// ms since the epoch; 0 when absent or null.
	CreatedAt int64
	UpdatedAt int64
	// Parent is the opportunity id of a per-opportunity detail record.
	Parent string
	// PostingIDs are the postings an opportunity applied to (from its
	// applications), for the store's index of candidates by job.
	PostingIDs []string
	// Name and Emails are an opportunity's, for the store's index of
	// candidates by name and email.
	Name   string
	Emails []string
}

// Deletion is a tombstone: a record Lever reports as deleted.
type Deletion struct {
	ID string `json:"id"`
	// DeletedAt is in ms since the epoch.
	DeletedAt int64 `json:"deletedAt"`
}
