package fakelever

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// baseMs is the newest creation time in the synthetic data: fixed, so the
// same seed yields the same bytes on every run. Mutations use Config.Now.
var baseMs = time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC).UnixMilli()

const spanMs = int64(3 * 365 * 24 * time.Hour / time.Millisecond)

// dataset generates every record from (seed, index) on demand.
type dataset struct {
	seed                         int64
	nOpp, nPost, nUser, nReq     int
	oppSp, postSp, userSp, reqSp int64
	stages                       []stageJSON
	reasons                      []reasonJSON
	// userIDs and postingIDs cache the ids every opportunity refers to
	// (bounded: both lists are small next to opportunities).
	userIDs, postingIDs []string
}

const idCacheMax = 1 << 17

func spacing(n int) int64 { return max(spanMs/int64(max(n, 1)), 2) }

func newDataset(seed int64, nOpp, nPost, nUser, nReq int) *dataset {
	d := &dataset{seed: seed, nOpp: nOpp, nPost: nPost, nUser: nUser, nReq: nReq,
		oppSp: spacing(nOpp), postSp: spacing(nPost), userSp: spacing(nUser) * 4 / 3, reqSp: spacing(nReq)}
	d.stages = []stageJSON{{"lead-new", "New lead"}, {"lead-reached-out", "Reached out"}, {"lead-responded", "Responded"}, {"applicant-new", "New applicant"}}
	for k, name := range stageNames {
		d.stages = append(d.stages, stageJSON{uuid(seed, kindStage, k), name})
	}
	d.stages = append(d.stages, stageJSON{"offer", "Offer"})
	if nUser <= idCacheMax {
		d.userIDs = make([]string, nUser)
		for i := range d.userIDs {
			d.userIDs[i] = uuid(seed, kindUser, i)
		}
	}
	if nPost <= idCacheMax {
		d.postingIDs = make([]string, nPost)
		for i := range d.postingIDs {
			d.postingIDs[i] = uuid(seed, kindPosting, i)
		}
	}
	for k, r := range archiveReasonDefs {
		d.reasons = append(d.reasons, reasonJSON{uuid(seed, kindArchiveReason, k), r.text, r.status, r.typ})
	}
	return d
}

// created is strictly decreasing in i, so index order is createdAt
// descending (Lever's list order) and a createdAt maps back to a position.
func (d *dataset) created(kind uint64, sp int64, i int) int64 {
	r := newRNG(d.seed, kind^0x1000, i)
	return baseMs - int64(i)*sp - int64(r.next()%uint64(sp/2+1))
}

// firstAfter is the first index whose createdAt is below c.
func (d *dataset) firstAfter(kind uint64, sp int64, n int, c int64) int {
	i := min(max(int((baseMs-c)/sp)-1, 0), n)
	for i < n && d.created(kind, sp, i) >= c {
		i++
	}
	return i
}

// marshal encodes like a list page does (HTML left unescaped, as Lever
// sends it), so Expected and served bytes are identical.
func marshal(v any) []byte {
	w := &sliceWriter{}
	if err := newEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("fakelever: marshal %T: %v", v, err))
	}
	return w.b[:len(w.b)-1]
}

func newEncoder(w *sliceWriter) *json.Encoder {
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	return e
}

// sliceWriter appends to a byte slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func ptr[T any](v T) *T { return &v }

// ---- small fixed lists ----

type stageJSON struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type reasonJSON struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Status string `json:"status"`
	Type   string `json:"type"`
}

type countJSON struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

func (d *dataset) sources() []countJSON {
	out := make([]countJSON, len(sourceNames))
	for k, s := range sourceNames {
		out[k] = countJSON{s, d.nOpp / (k + 2)}
	}
	return out
}

func (d *dataset) tags() []countJSON {
	out := make([]countJSON, len(tagNames))
	for k, s := range tagNames {
		out[k] = countJSON{s, d.nOpp / (2*k + 5)}
	}
	return out
}

// ---- users ----

type userJSON struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Username            string   `json:"username"`
	Email               string   `json:"email"`
	AccessRole          string   `json:"accessRole"`
	Photo               *string  `json:"photo"`
	CreatedAt           int64    `json:"createdAt"`
	DeactivatedAt       *int64   `json:"deactivatedAt"`
	ExternalDirectoryID *string  `json:"externalDirectoryId"`
	LinkedContactIDs    []string `json:"linkedContactIds"`
	JobTitle            *string  `json:"jobTitle"`
	ManagerID           *string  `json:"managerId"`
}

func (d *dataset) userCreated(i int) int64 { return d.created(kindUser, d.userSp, i) }

func (d *dataset) userID(i int) string {
	if d.userIDs != nil {
		return d.userIDs[i]
	}
	return uuid(d.seed, kindUser, i)
}

// userDeactivated: about one in five, and always user 1 so small sets have one.
func (d *dataset) userDeactivated(i int) bool {
	if i == 0 {
		return false
	}
	r := newRNG(d.seed, kindUser^0x2000, i)
	return i == 1 || r.chance(0.2)
}

func (d *dataset) user(i int) userJSON {
	r := newRNG(d.seed, kindUser, i)
	first, last := pick(&r, firstNames), pick(&r, lastNames)
	uname := strings.ToLower(asciiOnly(first) + "." + asciiOnly(last))
	u := userJSON{
		ID:         d.userID(i),
		Name:       first + " " + last,
		Username:   uname,
		Email:      fmt.Sprintf("%s%d@example.com", uname, i),
		AccessRole: pick(&r, accessRoles),
		CreatedAt:  d.userCreated(i),
	}
	if i == 0 {
		u.AccessRole = "super admin"
	}
	if d.userDeactivated(i) {
		u.DeactivatedAt = ptr(u.CreatedAt + int64(r.intn(300)+10)*86_400_000)
	}
	if r.chance(0.4) {
		u.Photo = ptr(fmt.Sprintf("https://lh3.googleusercontent.com/a/%s", u.ID[:8]))
	}
	if r.chance(0.6) {
		u.JobTitle = ptr(pick(&r, jobTitles))
	}
	if i > 0 && r.chance(0.7) {
		u.ManagerID = ptr(d.userID(r.intn(i)))
	}
	if r.chance(0.3) {
		u.ExternalDirectoryID = ptr(fmt.Sprintf("%08d", r.intn(1e8)))
	}
	if r.chance(0.2) {
		u.LinkedContactIDs = []string{uuid(d.seed, kindContact^0x10, i)}
	}
	return u
}

func asciiOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			b.WriteRune(c)
		case c == 'á':
			b.WriteByte('a')
		case c == 'é':
			b.WriteByte('e')
		case c == 'ü':
			b.WriteByte('u')
		}
	}
	return b.String()
}

// ---- postings ----

type postingCore struct {
	created, updated int64
	state            string
	confidential     bool
	channels         []string // nil for null
	owner, manager   int
}

func (d *dataset) postingID(i int) string {
	if d.postingIDs != nil {
		return d.postingIDs[i]
	}
	return uuid(d.seed, kindPosting, i)
}

func (d *dataset) postingCore(i int) postingCore {
	r := newRNG(d.seed, kindPosting^0x2000, i)
	c := postingCore{created: d.created(kindPosting, d.postSp, i)}
	c.updated = c.created + int64(r.next()%uint64(baseMs-c.created+1))
	w := r.intn(100)
	switch {
	case w < 45:
		c.state = "published"
	case w < 55:
		c.state = "internal"
	case w < 80:
		c.state = "closed"
	case w < 88:
		c.state = "draft"
	case w < 95:
		c.state = "pending"
	default:
		c.state = "rejected"
	}
	// The first few cover every case even in a small data set.
	if i < len(postingStates) {
		c.state = postingStates[i]
	}
	c.confidential = r.chance(0.08) || i == 7
	switch c.state {
	case "published":
		switch w := r.intn(100); {
		case w < 70:
			c.channels = []string{"public", "internal"}
		case w < 85:
			c.channels = []string{"public"}
		default:
			c.channels = []string{"internal"}
		}
		if i == 6 {
			c.channels = []string{"internal"}
		}
		if i == 7 {
			c.channels = []string{"public", "internal"}
		}
	case "internal":
		c.channels = []string{"internal"}
	case "closed":
		c.channels = nil
	default:
		if r.chance(0.5) {
			c.channels = []string{}
		} else {
			c.channels = []string{"public", "internal"}
		}
	}
	if i == 6 || i == 7 {
		c.state = "published"
	}
	c.owner = r.intn(d.nUser)
	c.manager = r.intn(d.nUser)
	return c
}

// internalOnly is a published posting Lever hides unless
// distributionChannel=internal is asked for.
func (c postingCore) internalOnly() bool {
	return c.state == "published" && len(c.channels) == 1 && c.channels[0] == "internal"
}

type postingJSON struct {
	ID                string          `json:"id"`
	Text              string          `json:"text"`
	CreatedAt         int64           `json:"createdAt"`
	UpdatedAt         int64           `json:"updatedAt"`
	User              any             `json:"user"`
	Owner             any             `json:"owner"`
	HiringManager     any             `json:"hiringManager"`
	Confidentiality   string          `json:"confidentiality"`
	Categories        categoriesJSON  `json:"categories"`
	Content           contentJSON     `json:"content"`
	Country           *string         `json:"country"`
	Followers         []any           `json:"followers"`
	Tags              []string        `json:"tags"`
	State             string          `json:"state"`
	DistributionChans []string        `json:"distributionChannels"`
	ReqCode           *string         `json:"reqCode"`
	RequisitionCodes  []string        `json:"requisitionCodes"`
	SalaryDescription *string         `json:"salaryDescription"`
	SalaryRange       *salaryJSON     `json:"salaryRange"`
	URLs              *postingURLJSON `json:"urls"`
	WorkplaceType     string          `json:"workplaceType"`
}

type categoriesJSON struct {
	Team         *string  `json:"team"`
	Department   *string  `json:"department"`
	Location     string   `json:"location"`
	AllLocations []string `json:"allLocations"`
	Commitment   *string  `json:"commitment"`
	Level        *string  `json:"level,omitempty"`
}

type contentJSON struct {
	Description     string     `json:"description"`
	DescriptionHTML string     `json:"descriptionHtml"`
	Lists           []listJSON `json:"lists"`
	Closing         string     `json:"closing"`
	ClosingHTML     string     `json:"closingHtml"`
}

type listJSON struct {
	Text    string `json:"text"`
	Content string `json:"content"`
}

type salaryJSON struct {
	Max      int    `json:"max"`
	Min      int    `json:"min"`
	Currency string `json:"currency"`
	Interval string `json:"interval"`
}

type postingURLJSON struct {
	List  string `json:"list"`
	Show  string `json:"show"`
	Apply string `json:"apply"`
}

// postingVersion applies the mutation overlay: a changed updatedAt and a
// retitled posting, so updated records differ in bytes too.
func (d *dataset) posting(i int, c postingCore, version int, ex expansion) postingJSON {
	r := newRNG(d.seed, kindPosting, i)
	id := d.postingID(i)
	title := pick(&r, jobTitles)
	team := pick(&r, teams)
	li := r.intn(len(cities))
	p := postingJSON{
		ID: id, Text: title, CreatedAt: c.created, UpdatedAt: c.updated,
		User: d.userRef(c.owner, ex.user), Owner: d.userRef(c.owner, ex.owner), HiringManager: d.userRef(c.manager, ex.hiringManager),
		Confidentiality: confidentiality(c.confidential),
		Categories: categoriesJSON{Team: ptr(team), Department: ptr(departments[indexOfString(teams, team)]), Location: cities[li],
			AllLocations: []string{cities[li]}, Commitment: ptr(pick(&r, commitments))},
		Content: contentJSON{
			Description:     fmt.Sprintf("Join the %s team as a %s.", team, title),
			DescriptionHTML: fmt.Sprintf("<div>Join the <b>%s</b> team as a %s.</div>", team, title),
			Lists: []listJSON{
				{"What you'll do", "<li>Design, build and run services our customers rely on</li><li>Work closely with product and design</li>"},
				{"What you bring", "<li>Experience shipping production software</li><li>Clear written communication</li>"},
			},
			Closing:     "We are an equal opportunity employer.",
			ClosingHTML: "<div>We are an equal opportunity employer.</div>",
		},
		Country:           ptr(countries[li]),
		Followers:         []any{},
		Tags:              []string{},
		State:             c.state,
		DistributionChans: c.channels,
		RequisitionCodes:  []string{},
		WorkplaceType:     pick(&r, workplaceTypes),
	}
	if lv := pick(&r, levels); lv != "" {
		p.Categories.Level = ptr(lv)
	}
	if r.chance(0.15) {
		p.Categories.Team = nil
	}
	if r.chance(0.3) {
		p.Categories.AllLocations = append(p.Categories.AllLocations, "Remote")
	}
	for range r.intn(3) {
		p.Followers = append(p.Followers, d.userRef(r.intn(d.nUser), ex.followers))
	}
	for range r.intn(3) {
		p.Tags = append(p.Tags, pick(&r, tagNames))
	}
	if d.nReq > 0 && r.chance(0.6) {
		code := fmt.Sprintf("REQ-%05d", i%d.nReq+1)
		p.ReqCode = ptr(code)
		p.RequisitionCodes = []string{code}
	}
	if r.chance(0.7) {
		lo := 60_000 + r.intn(120)*1000
		p.SalaryRange = &salaryJSON{Max: lo + 20_000 + r.intn(60)*1000, Min: lo, Currency: "USD", Interval: "per-year-salary"}
		p.SalaryDescription = ptr("Base salary depends on experience and location.")
	}
	if c.state != "closed" {
		p.URLs = &postingURLJSON{List: "https://jobs.lever.co/acme", Show: "https://jobs.lever.co/acme/" + id, Apply: "https://jobs.lever.co/acme/" + id + "/apply"}
	}
	if version > 0 {
		p.Text = fmt.Sprintf("%s (rev %d)", title, version+1)
	}
	return p
}

func indexOfString(xs []string, s string) int {
	for k, x := range xs {
		if x == s {
			return k
		}
	}
	return 0
}

func confidentiality(c bool) string {
	if c {
		return "confidential"
	}
	return "non-confidential"
}

// userRef is a user id, or the user object when expanded.
func (d *dataset) userRef(i int, expand bool) any {
	if expand {
		return d.user(i)
	}
	return d.userID(i)
}

// expansion is the set of expand parameters of a request.
type expansion struct {
	applications, stage, owner, followers, sourcedBy, contact bool
	user, hiringManager                                       bool
}

// ---- requisitions ----

type requisitionJSON struct {
	ID                string            `json:"id"`
	RequisitionCode   string            `json:"requisitionCode"`
	Name              string            `json:"name"`
	Backfill          bool              `json:"backfill"`
	Confidentiality   string            `json:"confidentiality"`
	CompensationBand  *compBandJSON     `json:"compensationBand"`
	CreatedAt         int64             `json:"createdAt"`
	Creator           string            `json:"creator"`
	EmploymentStatus  string            `json:"employmentStatus"`
	HeadcountHired    int               `json:"headcountHired"`
	HeadcountInfinite bool              `json:"headcountInfinite"`
	HeadcountTotal    int               `json:"headcountTotal"`
	HiringManager     *string           `json:"hiringManager"`
	InternalNotes     *string           `json:"internalNotes"`
	Location          *string           `json:"location"`
	Notes             *string           `json:"notes"`
	OfferIDs          []string          `json:"offerIds"`
	Owner             *string           `json:"owner"`
	Postings          []string          `json:"postings"`
	Status            string            `json:"status"`
	Team              *string           `json:"team"`
	Department        *string           `json:"department"`
	TimeToFillStartAt *int64            `json:"timeToFillStartAt"`
	TimeToFillEndAt   *int64            `json:"timeToFillEndAt"`
	Approval          any               `json:"approval"`
	CustomFields      map[string]string `json:"customFields"`
}

type compBandJSON struct {
	Currency string `json:"currency"`
	Interval string `json:"interval"`
	Min      int    `json:"min"`
	Max      int    `json:"max"`
}

func (d *dataset) requisitionID(i int) string { return uuid(d.seed, kindRequisition, i) }

func (d *dataset) reqCreated(i int) int64 { return d.created(kindRequisition, d.reqSp, i) }

func (d *dataset) reqConfidential(i int) bool {
	r := newRNG(d.seed, kindRequisition^0x2000, i)
	return r.chance(0.05) || i == 3
}

func (d *dataset) reqStatus(i int) string {
	r := newRNG(d.seed, kindRequisition^0x3000, i)
	return pick(&r, []string{"open", "open", "open", "closed", "onHold", "draft"})
}

func (d *dataset) requisition(i int) requisitionJSON {
	r := newRNG(d.seed, kindRequisition, i)
	team := pick(&r, teams)
	q := requisitionJSON{
		ID: d.requisitionID(i), RequisitionCode: fmt.Sprintf("REQ-%05d", i+1), Name: pick(&r, jobTitles),
		Backfill: r.chance(0.25), Confidentiality: confidentiality(d.reqConfidential(i)),
		CreatedAt: d.reqCreated(i), Creator: d.userID(r.intn(d.nUser)),
		EmploymentStatus: pick(&r, []string{"full-time", "full-time", "part-time", "contractor", "intern"}),
		HeadcountTotal:   1 + r.intn(4), OfferIDs: []string{}, Postings: []string{},
		Status: d.reqStatus(i), Team: ptr(team), Department: ptr(departments[indexOfString(teams, team)]),
		CustomFields: map[string]string{},
	}
	q.HeadcountHired = r.intn(q.HeadcountTotal + 1)
	if r.chance(0.8) {
		q.HiringManager = ptr(d.userID(r.intn(d.nUser)))
		q.Owner = ptr(d.userID(r.intn(d.nUser)))
	}
	if r.chance(0.6) {
		lo := 70_000 + r.intn(100)*1000
		q.CompensationBand = &compBandJSON{"USD", "per-year-salary", lo, lo + 30_000}
	}
	if r.chance(0.5) {
		q.Location = ptr(pick(&r, cities))
	}
	if r.chance(0.2) {
		q.InternalNotes = ptr("Budget approved in planning.")
	}
	if r.chance(0.3) {
		q.CustomFields["cost_center"] = fmt.Sprintf("CC-%03d", r.intn(1000))
	}
	for j := i; j < d.nPost; j += max(d.nReq, 1) {
		q.Postings = append(q.Postings, d.postingID(j))
		if len(q.Postings) == 2 {
			break
		}
	}
	if q.TimeToFillStartAt = ptr(q.CreatedAt); q.Status == "closed" {
		q.TimeToFillEndAt = ptr(q.CreatedAt + int64(20+r.intn(60))*86_400_000)
	}
	return q
}
