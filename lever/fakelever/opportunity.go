package fakelever

import (
	"fmt"
	"strings"
)

// oppCore holds what list filters need, cheap to compute for any index.
type oppCore struct {
	created    int64
	updated    int64 // 0 = null
	posting    int
	stage      int
	archived   bool
	reason     int
	archivedAt int64
	owner      int
	origin     string
	version    int  // mutation count from the overlay
	anonymized bool // from the overlay
}

func (d *dataset) oppID(i int) string { return uuid(d.seed, kindOpportunity, i) }

func (d *dataset) oppCore(i int) oppCore {
	r := newRNG(d.seed, kindOpportunity^0x2000, i)
	c := oppCore{created: d.created(kindOpportunity, d.oppSp, i)}
	if !r.chance(0.1) {
		c.updated = c.created + int64(r.next()%uint64(baseMs-c.created+1))
	} else {
		r.next()
	}
	c.posting = r.intn(d.nPost)
	w := r.intn(100)
	for _, o := range origins {
		if w < o.weight {
			c.origin = o.name
			break
		}
		w -= o.weight
	}
	switch c.origin {
	case "sourced":
		c.stage = r.intn(3) // lead stages
	default:
		c.stage = 3 + r.intn(len(d.stages)-3)
	}
	c.owner = r.intn(d.nUser)
	if r.chance(0.35) {
		c.archived = true
		if d.stages[c.stage].ID == "offer" && r.chance(0.7) {
			c.reason = 0 // Hired
		} else {
			c.reason = 1 + r.intn(len(d.reasons)-1)
		}
		last := c.updated
		if last == 0 {
			last = c.created
		}
		c.archivedAt = last
	}
	return c
}

type phoneJSON struct {
	Type  *string `json:"type,omitempty"`
	Value string  `json:"value"`
}

type archivedJSON struct {
	ArchivedAt int64  `json:"archivedAt"`
	Reason     string `json:"reason"`
}

type stageChangeJSON struct {
	ToStageID    string `json:"toStageId"`
	ToStageIndex int    `json:"toStageIndex"`
	UpdatedAt    int64  `json:"updatedAt"`
	UserID       string `json:"userId"`
}

type oppURLJSON struct {
	List string `json:"list"`
	Show string `json:"show"`
}

type opportunityJSON struct {
	ID                  string            `json:"id"`
	Name                string            `json:"name"`
	Headline            string            `json:"headline"`
	Contact             any               `json:"contact"`
	Emails              []string          `json:"emails"`
	Phones              []phoneJSON       `json:"phones"`
	Confidentiality     string            `json:"confidentiality"`
	Location            *string           `json:"location"`
	Links               []string          `json:"links"`
	Archived            *archivedJSON     `json:"archived"`
	ArchivedAt          *int64            `json:"archivedAt,omitempty"`
	ArchiveReason       *string           `json:"archiveReason,omitempty"`
	CreatedAt           int64             `json:"createdAt"`
	UpdatedAt           *int64            `json:"updatedAt"`
	LastInteractionAt   int64             `json:"lastInteractionAt"`
	LastAdvancedAt      int64             `json:"lastAdvancedAt"`
	SnoozedUntil        *int64            `json:"snoozedUntil"`
	IsAnonymized        bool              `json:"isAnonymized"`
	DataProtection      any               `json:"dataProtection"`
	Tags                []string          `json:"tags"`
	Sources             []string          `json:"sources"`
	StageChanges        []stageChangeJSON `json:"stageChanges"`
	Origin              string            `json:"origin"`
	SourcedBy           any               `json:"sourcedBy"`
	Owner               any               `json:"owner"`
	Followers           []any             `json:"followers"`
	Applications        []any             `json:"applications"`
	Stage               any               `json:"stage"`
	URLs                oppURLJSON        `json:"urls"`
	OpportunityLocation *string           `json:"opportunityLocation"`
}

// anonymize removes the personal data of an opportunity and its
// application, as a data-protection request does in Lever.
func anonymize(o *opportunityJSON, a *applicationJSON) {
	o.IsAnonymized = true
	o.Name, o.Headline = "", ""
	o.Emails, o.Phones, o.Links = []string{}, []phoneJSON{}, []string{}
	o.Location, o.OpportunityLocation = nil, nil
	if c, ok := o.Contact.(contactJSON); ok {
		o.Contact = contactJSON{ID: c.ID, IsAnonymized: true, Emails: []string{}, Phones: []phoneJSON{}}
	}
	a.Name, a.Email, a.Phone, a.Company, a.Comments = nil, nil, nil, nil, nil
	a.Links, a.CustomQuestions = []string{}, []any{}
}

type contactJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Headline     string `json:"headline"`
	IsAnonymized bool   `json:"isAnonymized"`
	Location     *struct {
		Name string `json:"name"`
	} `json:"location"`
	Emails []string    `json:"emails"`
	Phones []phoneJSON `json:"phones"`
}

type applicationJSON struct {
	ID                   string        `json:"id"`
	OpportunityID        string        `json:"opportunityId"`
	CandidateID          string        `json:"candidateId"`
	CreatedAt            int64         `json:"createdAt"`
	Type                 string        `json:"type"`
	Posting              string        `json:"posting"`
	PostingHiringManager *string       `json:"postingHiringManager"`
	PostingOwner         *string       `json:"postingOwner"`
	User                 *string       `json:"user"`
	Name                 *string       `json:"name"`
	Email                *string       `json:"email"`
	Phone                *phoneJSON    `json:"phone"`
	Company              *string       `json:"company"`
	Links                []string      `json:"links"`
	Comments             *string       `json:"comments"`
	CustomQuestions      []any         `json:"customQuestions"`
	Archived             *archivedJSON `json:"archived"`
	RequisitionForHire   any           `json:"requisitionForHire"`
}

// person is the candidate behind opportunity i.
type person struct {
	first, last, email, headline, city string
	phones                             []phoneJSON
}

func (d *dataset) person(i int) person {
	r := newRNG(d.seed, kindContact, i)
	p := person{first: pick(&r, firstNames), last: pick(&r, lastNames)}
	p.email = fmt.Sprintf("%s.%s%d@%s", strings.ToLower(asciiOnly(p.first)), strings.ToLower(asciiOnly(p.last)), i, pick(&r, []string{"gmail.com", "outlook.com", "proton.me", "yahoo.com", "fastmail.com"}))
	p.headline = fmt.Sprintf("%s at %s", pick(&r, jobTitles), pick(&r, companies))
	p.city = pick(&r, cities)
	switch r.intn(4) {
	case 0:
	case 1:
		p.phones = []phoneJSON{{Value: fmt.Sprintf("+1 %03d 555 %04d", 200+r.intn(700), r.intn(10000))}}
	default:
		p.phones = []phoneJSON{{Type: ptr(pick(&r, []string{"mobile", "home", "work", "other"})), Value: fmt.Sprintf("+1 (%03d) 555-%04d", 200+r.intn(700), r.intn(10000))}}
	}
	return p
}

func (d *dataset) contactID(i int) string { return uuid(d.seed, kindContact, i) }

func (d *dataset) contact(i int) contactJSON {
	p := d.person(i)
	c := contactJSON{ID: d.contactID(i), Name: p.first + " " + p.last, Headline: p.headline, Emails: []string{p.email}, Phones: p.phones}
	if c.Phones == nil {
		c.Phones = []phoneJSON{}
	}
	c.Location = &struct {
		Name string `json:"name"`
	}{p.city}
	return c
}

func (d *dataset) application(i int, c oppCore) applicationJSON {
	return d.applicationOf(i, c, d.postingCore(c.posting), d.person(i))
}

func (d *dataset) applicationOf(i int, c oppCore, pc postingCore, p person) applicationJSON {
	r := newRNG(d.seed, kindApplication, i)
	a := applicationJSON{
		ID: uuid(d.seed, kindApplication, i), OpportunityID: d.oppID(i), CandidateID: d.contactID(i),
		CreatedAt: c.created, Type: "posting", Posting: d.postingID(c.posting),
		PostingHiringManager: ptr(d.userID(pc.manager)), PostingOwner: ptr(d.userID(pc.owner)),
		Links: []string{}, CustomQuestions: []any{},
	}
	switch c.origin {
	case "referred":
		a.Type = "referral"
		a.User = ptr(d.userID(r.intn(d.nUser)))
	case "sourced", "internal":
		a.Type = "user"
		a.User = ptr(d.userID(c.owner))
	case "applied":
		a.Name = ptr(p.first + " " + p.last)
		a.Email = ptr(p.email)
		if len(p.phones) > 0 {
			a.Phone = &p.phones[0]
		}
		a.Company = ptr(pick(&r, companies))
		if r.chance(0.3) {
			a.Comments = ptr("Excited about the mission; happy to relocate.")
		}
	}
	if c.archived {
		a.Archived = &archivedJSON{c.archivedAt, d.reasons[c.reason].ID}
	}
	return a
}

func (d *dataset) opportunity(i int, c oppCore, ex expansion) opportunityJSON {
	r := newRNG(d.seed, kindOpportunity, i)
	p := d.person(i)
	pc := d.postingCore(c.posting)
	id := d.oppID(i)
	o := opportunityJSON{
		ID: id, Name: p.first + " " + p.last, Headline: p.headline,
		Contact: d.contactID(i), Emails: []string{p.email}, Phones: p.phones,
		Confidentiality: confidentiality(pc.confidential),
		Links:           []string{}, CreatedAt: c.created, Tags: []string{}, Sources: []string{},
		Origin: c.origin, Owner: d.userRef(c.owner, ex.owner), Followers: []any{},
		URLs: oppURLJSON{"https://hire.lever.co/candidates", "https://hire.lever.co/candidates/" + id},
	}
	if ex.contact {
		o.Contact = d.contact(i)
	}
	if o.Phones == nil {
		o.Phones = []phoneJSON{}
	}
	if r.chance(0.85) {
		o.Location = ptr(p.city)
		o.OpportunityLocation = ptr(p.city)
	}
	if r.chance(0.3) {
		o.Links = append(o.Links, fmt.Sprintf("https://www.linkedin.com/in/%s-%s-%d", strings.ToLower(asciiOnly(p.first)), strings.ToLower(asciiOnly(p.last)), i))
	}
	if r.chance(0.25) {
		o.Emails = append(o.Emails, fmt.Sprintf("%s@%s.com", strings.ToLower(asciiOnly(p.first)), strings.ToLower(strings.ReplaceAll(pick(&r, companies), " ", ""))))
	}
	for range r.intn(3) {
		o.Tags = append(o.Tags, pick(&r, tagNames))
	}
	if c.origin != "internal" || r.chance(0.5) {
		o.Sources = append(o.Sources, pick(&r, sourceNames))
	}
	if c.updated != 0 {
		o.UpdatedAt = ptr(c.updated)
	}
	last := c.created
	if c.updated != 0 {
		last = c.updated
	}
	o.LastInteractionAt = last
	// Stage history: every stage up to the current one, then the mutations.
	userID := d.userID(c.owner)
	steps := min(c.stage, 1+r.intn(3))
	t := c.created
	for k := c.stage - steps; k <= c.stage; k++ {
		o.StageChanges = append(o.StageChanges, stageChangeJSON{d.stages[k].ID, k, t, userID})
		t += (last - c.created) / int64(steps+1)
	}
	stage := c.stage
	for v := 1; v <= c.version; v++ {
		stage = (stage + 1) % len(d.stages)
		o.StageChanges = append(o.StageChanges, stageChangeJSON{d.stages[stage].ID, stage, last, userID})
	}
	o.LastAdvancedAt = o.StageChanges[len(o.StageChanges)-1].UpdatedAt
	if ex.stage {
		o.Stage = d.stages[stage]
	} else {
		o.Stage = d.stages[stage].ID
	}
	if c.origin == "sourced" || c.origin == "agency" {
		o.SourcedBy = d.userRef(r.intn(d.nUser), ex.sourcedBy)
	}
	for range r.intn(3) {
		o.Followers = append(o.Followers, d.userRef(r.intn(d.nUser), ex.followers))
	}
	if c.archived {
		o.Archived = &archivedJSON{c.archivedAt, d.reasons[c.reason].ID}
		// The docs' older top-level shape appears on a few records.
		if r.chance(0.1) {
			o.ArchivedAt = ptr(c.archivedAt)
			o.ArchiveReason = ptr(d.reasons[c.reason].ID)
		}
	}
	if r.chance(0.05) {
		o.SnoozedUntil = ptr(last + 14*86_400_000)
	}
	if r.chance(0.15) {
		o.DataProtection = map[string]any{
			"store":   map[string]any{"allowed": true, "expiresAt": last + 730*86_400_000},
			"contact": map[string]any{"allowed": true, "expiresAt": nil},
		}
	}
	app := d.applicationOf(i, c, pc, p)
	if c.anonymized {
		anonymize(&o, &app)
	}
	if ex.applications {
		o.Applications = []any{app}
	} else {
		o.Applications = []any{app.ID}
	}
	return o
}
