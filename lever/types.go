package lever

import (
	"encoding/json"
	"fmt"
	"time"
)

// Typed views of the fields the project reads. The raw JSON stays in
// Record.Raw; these decode from it and ignore everything else, so a field
// Lever adds never breaks them, and absent or null fields are zero.

// Millis is a timestamp in ms since the epoch; null or absent is 0.
type Millis int64

// UnmarshalJSON accepts a number (integer or not), null, or a numeric string.
func (m *Millis) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		b = []byte(s)
	}
	*m = Millis(millis(b))
	return nil
}

// Time is m in UTC, or the zero time for 0.
func (m Millis) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m)).UTC()
}

// Ref points to another record: an id string, or an object when the field
// was expanded.
type Ref struct {
	ID string
	// Name is the expanded object's name, or its text (stages, reasons).
	Name string
}

// UnmarshalJSON accepts "id", {"id", "name"|"text"}, or null; any other
// shape leaves r empty rather than failing the whole record.
func (r *Ref) UnmarshalJSON(b []byte) error {
	*r = Ref{}
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	var obj struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Text string `json:"text"`
	}
	if json.Unmarshal(b, &obj) != nil {
		return nil // an unexpected shape leaves the reference empty
	}
	r.ID, r.Name = obj.ID, obj.Name
	if r.Name == "" {
		r.Name = obj.Text
	}
	return nil
}

// PostingCategories are a posting's team, location and so on.
type PostingCategories struct {
	Team         string   `json:"team"`
	Department   string   `json:"department"`
	Location     string   `json:"location"`
	AllLocations []string `json:"allLocations"`
	Commitment   string   `json:"commitment"`
	Level        string   `json:"level"`
}

// Posting is a job.
type Posting struct {
	ID                   string            `json:"id"`
	Text                 string            `json:"text"`
	State                string            `json:"state"`
	Confidentiality      string            `json:"confidentiality"`
	DistributionChannels []string          `json:"distributionChannels"` // null on closed postings
	Categories           PostingCategories `json:"categories"`
	Owner                Ref               `json:"owner"`
	HiringManager        Ref               `json:"hiringManager"`
	WorkplaceType        string            `json:"workplaceType"`
	CreatedAt            Millis            `json:"createdAt"`
	UpdatedAt            Millis            `json:"updatedAt"`
}

// Archive is an opportunity's archived state.
type Archive struct {
	ArchivedAt Millis `json:"archivedAt"`
	Reason     Ref    `json:"reason"` // an archive reason id
}

// Application links an opportunity to a posting.
type Application struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Posting Ref    `json:"posting"`
}

// UnmarshalJSON accepts the expanded object or, without
// expand=applications, the application's id alone.
func (a *Application) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*a = Application{}
		return json.Unmarshal(b, &a.ID)
	}
	type plain Application
	return json.Unmarshal(b, (*plain)(a))
}

// Opportunity is a candidacy: a candidate in a pipeline.
type Opportunity struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Headline        string        `json:"headline"`
	Contact         string        `json:"contact"`
	Emails          []string      `json:"emails"`
	Stage           Ref           `json:"stage"`
	Archived        *Archive      `json:"archived"` // nil when active
	Applications    []Application `json:"applications"`
	Confidentiality string        `json:"confidentiality"`
	Owner           Ref           `json:"owner"`
	Tags            []string      `json:"tags"`
	Sources         []string      `json:"sources"`
	Origin          string        `json:"origin"`
	CreatedAt       Millis        `json:"createdAt"`
	UpdatedAt       Millis        `json:"updatedAt"` // 0 on old never-updated records
}

// UnmarshalJSON reads both archive shapes: the real
// "archived": {"archivedAt", "reason"} and the documented top-level
// "archivedAt" / "archiveReason".
func (o *Opportunity) UnmarshalJSON(b []byte) error {
	type plain Opportunity
	var v struct {
		plain
		ArchivedAt    Millis `json:"archivedAt"`
		ArchiveReason Ref    `json:"archiveReason"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Opportunity(v.plain)
	if o.Archived == nil && (v.ArchivedAt != 0 || v.ArchiveReason.ID != "") {
		o.Archived = &Archive{ArchivedAt: v.ArchivedAt, Reason: v.ArchiveReason}
	}
	return nil
}

// PostingIDs are the postings the opportunity applied to.
func (o Opportunity) PostingIDs() []string {
	var ids []string
	for _, a := range o.Applications {
		if a.Posting.ID != "" {
			ids = append(ids, a.Posting.ID)
		}
	}
	return ids
}

// User is a Lever user: a recruiter, hiring manager or owner.
type User struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Username      string `json:"username"`
	Email         string `json:"email"`
	AccessRole    string `json:"accessRole"`
	CreatedAt     Millis `json:"createdAt"`
	DeactivatedAt Millis `json:"deactivatedAt"` // 0 when active
}

// Stage is a pipeline stage; built-in stages have ids like "lead-new".
type Stage struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// ArchiveReason says why an opportunity was archived; "Hired" is one.
type ArchiveReason struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Status string `json:"status"`
	Type   string `json:"type"` // hired or non-hired
}

// Source is where candidates came from; keyed by its exact text.
type Source struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// Tag is a label on opportunities; keyed by its exact text.
type Tag struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// Requisition is approved headcount.
type Requisition struct {
	ID              string   `json:"id"`
	RequisitionCode string   `json:"requisitionCode"`
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	Confidentiality string   `json:"confidentiality"`
	Owner           Ref      `json:"owner"`
	HiringManager   Ref      `json:"hiringManager"`
	Postings        []string `json:"postings"`
	CreatedAt       Millis   `json:"createdAt"`
	UpdatedAt       Millis   `json:"updatedAt"`
}

// Note is a note on an opportunity.
type Note struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	User        Ref    `json:"user"`
	Secret      bool   `json:"secret"`
	CreatedAt   Millis `json:"createdAt"`
	CompletedAt Millis `json:"completedAt"`
}

// Interviewer is one member of an interview panel.
type Interviewer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Interview is a scheduled interview of an opportunity.
type Interview struct {
	ID           string        `json:"id"`
	Subject      string        `json:"subject"`
	Date         Millis        `json:"date"`
	Duration     int           `json:"duration"` // minutes
	Location     string        `json:"location"`
	Stage        Ref           `json:"stage"`
	Interviewers []Interviewer `json:"interviewers"`
	Postings     []string      `json:"postings"`
	CreatedAt    Millis        `json:"createdAt"`
	CanceledAt   Millis        `json:"canceledAt"`
}

// Offer is an offer made to an opportunity.
type Offer struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Creator    Ref    `json:"creator"`
	Posting    Ref    `json:"posting"`
	CreatedAt  Millis `json:"createdAt"`
	ApprovedAt Millis `json:"approvedAt"`
}

// decodeAs decodes one raw record into its typed view.
func decodeAs[T any](what string, raw json.RawMessage) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

// Decoders from a record's raw JSON to its typed view.

func DecodePosting(raw json.RawMessage) (Posting, error) { return decodeAs[Posting]("posting", raw) }
func DecodeOpportunity(raw json.RawMessage) (Opportunity, error) {
	return decodeAs[Opportunity]("opportunity", raw)
}
func DecodeUser(raw json.RawMessage) (User, error)   { return decodeAs[User]("user", raw) }
func DecodeStage(raw json.RawMessage) (Stage, error) { return decodeAs[Stage]("stage", raw) }
func DecodeArchiveReason(raw json.RawMessage) (ArchiveReason, error) {
	return decodeAs[ArchiveReason]("archive reason", raw)
}
func DecodeSource(raw json.RawMessage) (Source, error) { return decodeAs[Source]("source", raw) }
func DecodeTag(raw json.RawMessage) (Tag, error)       { return decodeAs[Tag]("tag", raw) }
func DecodeRequisition(raw json.RawMessage) (Requisition, error) {
	return decodeAs[Requisition]("requisition", raw)
}
func DecodeNote(raw json.RawMessage) (Note, error) { return decodeAs[Note]("note", raw) }
func DecodeInterview(raw json.RawMessage) (Interview, error) {
	return decodeAs[Interview]("interview", raw)
}
func DecodeOffer(raw json.RawMessage) (Offer, error) { return decodeAs[Offer]("offer", raw) }
