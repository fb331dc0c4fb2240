package fakelever

import (
	"fmt"
	"net/http"
)

// getOne serves GET /<resource>/:id as {"data": {...}}.
func (s *Server) getOne(resource, id string, q listQuery) response {
	d := s.data
	switch resource {
	case "opportunities":
		s.mu.RLock()
		defer s.mu.RUnlock()
		i, ok := s.liveOpportunity(id)
		if !ok {
			return notFound(resource, id)
		}
		c := s.oppCoreLocked(i)
		if d.postingCore(c.posting).confidential && !q.confAccess {
			return respForbidden()
		}
		return dataResp(marshal(d.opportunity(i, c, q.expand)))
	case "postings":
		s.mu.RLock()
		defer s.mu.RUnlock()
		j, ok := indexOf(d.seed, kindPosting, id, d.nPost)
		if _, gone := s.postDel[j]; !ok || gone {
			return notFound(resource, id)
		}
		c, v := s.postingCoreLocked(j)
		if c.confidential && !q.confAccess {
			return respForbidden()
		}
		return dataResp(marshal(d.posting(j, c, v, q.expand)))
	case "users":
		if i, ok := indexOf(d.seed, kindUser, id, d.nUser); ok {
			return dataResp(marshal(d.user(i)))
		}
	case "requisitions":
		if i, ok := indexOf(d.seed, kindRequisition, id, d.nReq); ok {
			if d.reqConfidential(i) && !q.confAccess {
				return respForbidden()
			}
			return dataResp(marshal(d.requisition(i)))
		}
	case "stages":
		for _, st := range d.stages {
			if st.ID == id {
				return dataResp(marshal(st))
			}
		}
	case "archive_reasons":
		for _, r := range d.reasons {
			if r.ID == id {
				return dataResp(marshal(r))
			}
		}
	case "contacts":
		s.mu.RLock()
		defer s.mu.RUnlock()
		if i, ok := indexOf(d.seed, kindContact, id, d.nOpp); ok {
			if _, gone := s.oppDel[i]; !gone {
				return dataResp(marshal(d.contact(i)))
			}
		}
	default:
		return errResp(http.StatusNotFound, "ResourceNotFound", "No API route matches /"+resource+"/"+id)
	}
	return notFound(resource, id)
}

// liveOpportunity maps an id to its index unless unknown or deleted; s.mu held.
func (s *Server) liveOpportunity(id string) (int, bool) {
	i, ok := indexOf(s.data.seed, kindOpportunity, id, s.data.nOpp)
	if !ok {
		return 0, false
	}
	if _, gone := s.oppDel[i]; gone {
		return 0, false
	}
	return i, true
}

// listDetail serves /opportunities/:id/<sub>: a few records per candidate.
func (s *Server) listDetail(oppID, sub string, q listQuery) response {
	d := s.data
	s.mu.RLock()
	i, ok := s.liveOpportunity(oppID)
	var c oppCore
	if ok {
		c = s.oppCoreLocked(i)
	}
	s.mu.RUnlock()
	if !ok {
		return notFound("opportunities", oppID)
	}
	if d.postingCore(c.posting).confidential && !q.confAccess {
		return respForbidden()
	}
	var items [][]byte
	switch sub {
	case "applications":
		items = [][]byte{marshal(d.application(i, c))}
	case "notes":
		items = detailItems(d, kindNote, i, c, d.note)
	case "interviews":
		items = detailItems(d, kindInterview, i, c, d.interview)
	case "feedback":
		items = detailItems(d, kindFeedback, i, c, d.feedback)
	case "offers":
		if d.stages[c.stage].ID == "offer" || (c.archived && c.reason == 0) {
			items = [][]byte{marshal(d.offer(i, 0, c))}
		}
	case "resumes":
		items = detailItems(d, kindResume, i, c, d.resume)
	case "files":
		items = detailItems(d, kindFile, i, c, d.file)
	default:
		return errResp(http.StatusNotFound, "ResourceNotFound", "No API route matches /opportunities/"+oppID+"/"+sub)
	}
	return s.pageSlice("opportunities/"+oppID+"/"+sub, items, q)
}

// detailItems renders 0..3 records of kind for opportunity i.
func detailItems[T any](d *dataset, kind uint64, i int, c oppCore, f func(i, k int, c oppCore) T) [][]byte {
	r := newRNG(d.seed, kind^0x4000, i)
	n := r.intn(4)
	out := make([][]byte, 0, n)
	for k := range n {
		out = append(out, marshal(f(i, k, c)))
	}
	return out
}

func (d *dataset) detailTime(c oppCore, k int) int64 {
	last := c.created
	if c.updated != 0 {
		last = c.updated
	}
	return c.created + (last-c.created)*int64(k+1)/5
}

type noteJSON struct {
	ID          string           `json:"id"`
	Text        string           `json:"text"`
	Fields      []map[string]any `json:"fields"`
	User        string           `json:"user"`
	Secret      bool             `json:"secret"`
	CompletedAt *int64           `json:"completedAt"`
	DeletedAt   *int64           `json:"deletedAt"`
	CreatedAt   int64            `json:"createdAt"`
}

func (d *dataset) note(i, k int, c oppCore) noteJSON {
	r := newRNG(d.seed, kindNote, i*8+k)
	text := pick(&r, noteTexts)
	return noteJSON{ID: uuid(d.seed, kindNote, i*8+k), Text: text,
		Fields: []map[string]any{{"type": "text", "text": "Note", "value": text}},
		User:   d.userID(r.intn(d.nUser)), Secret: r.chance(0.1), CreatedAt: d.detailTime(c, k)}
}

type interviewJSON struct {
	ID               string           `json:"id"`
	Panel            string           `json:"panel"`
	Subject          string           `json:"subject"`
	Note             string           `json:"note"`
	Interviewers     []map[string]any `json:"interviewers"`
	Timezone         string           `json:"timezone"`
	CreatedAt        int64            `json:"createdAt"`
	Date             int64            `json:"date"`
	Duration         int              `json:"duration"`
	Location         *string          `json:"location"`
	FeedbackTemplate *string          `json:"feedbackTemplate"`
	FeedbackForms    []string         `json:"feedbackForms"`
	User             string           `json:"user"`
	Stage            string           `json:"stage"`
	CanceledAt       *int64           `json:"canceledAt"`
	Postings         []string         `json:"postings"`
	GcalEventURL     *string          `json:"gcalEventUrl"`
}

func (d *dataset) interview(i, k int, c oppCore) interviewJSON {
	r := newRNG(d.seed, kindInterview, i*8+k)
	ui := r.intn(d.nUser)
	u := d.user(ui)
	at := d.detailTime(c, k)
	iv := interviewJSON{ID: uuid(d.seed, kindInterview, i*8+k), Panel: uuid(d.seed, kindInterview^0x10, i*8+k),
		Subject: pick(&r, stageNames) + " with " + u.Name, Note: "",
		Interviewers: []map[string]any{{"email": u.Email, "id": u.ID, "name": u.Name}},
		Timezone:     "America/Los_Angeles", CreatedAt: at, Date: at + 3*86_400_000, Duration: 30 * (1 + r.intn(3)),
		FeedbackForms: []string{}, User: d.userID(c.owner), Stage: d.stages[c.stage].ID, Postings: []string{d.postingID(c.posting)}}
	if r.chance(0.5) {
		iv.Location = ptr("Zoom")
	}
	if r.chance(0.1) {
		iv.CanceledAt = ptr(at + 86_400_000)
	}
	return iv
}

type feedbackJSON struct {
	ID          string           `json:"id"`
	Type        string           `json:"type"`
	Text        string           `json:"text"`
	Fields      []map[string]any `json:"fields"`
	User        string           `json:"user"`
	Panel       *string          `json:"panel"`
	Interview   *string          `json:"interview"`
	CreatedAt   int64            `json:"createdAt"`
	CompletedAt *int64           `json:"completedAt"`
}

func (d *dataset) feedback(i, k int, c oppCore) feedbackJSON {
	r := newRNG(d.seed, kindFeedback, i*8+k)
	at := d.detailTime(c, k)
	return feedbackJSON{ID: uuid(d.seed, kindFeedback, i*8+k), Type: "interview", Text: "Interview feedback",
		Fields: []map[string]any{{"type": "score-system", "text": "Rating", "value": pick(&r, []string{"1 - Strong No Hire", "2 - No Hire", "3 - Hire", "4 - Strong Hire"})}},
		User:   d.userID(r.intn(d.nUser)), CreatedAt: at, CompletedAt: ptr(at + 3_600_000)}
}

type offerJSON struct {
	ID             string           `json:"id"`
	Posting        string           `json:"posting"`
	CreatedAt      int64            `json:"createdAt"`
	Status         string           `json:"status"`
	Creator        string           `json:"creator"`
	Fields         []map[string]any `json:"fields"`
	SentAt         *int64           `json:"sentAt"`
	ApprovedAt     *int64           `json:"approvedAt"`
	Approved       *bool            `json:"approved"`
	SignedDocument any              `json:"signedDocument"`
	SentDocument   any              `json:"sentDocument"`
}

func (d *dataset) offer(i, k int, c oppCore) offerJSON {
	r := newRNG(d.seed, kindOffer, i*8+k)
	at := d.detailTime(c, 3)
	o := offerJSON{ID: uuid(d.seed, kindOffer, i*8+k), Posting: d.postingID(c.posting), CreatedAt: at,
		Status: pick(&r, []string{"draft", "approval-sent", "approved", "sent", "signed"}), Creator: d.userID(c.owner),
		Fields: []map[string]any{{"text": "Salary", "identifier": "salary_amount", "value": 90_000 + r.intn(80)*1000},
			{"text": "Start date", "identifier": "anticipated_start_date", "value": at + 30*86_400_000}}}
	if c.archived && c.reason == 0 {
		o.Status = "signed"
	}
	if o.Status == "sent" || o.Status == "signed" {
		o.SentAt = ptr(at + 86_400_000)
		o.Approved = ptr(true)
		o.ApprovedAt = ptr(at + 3_600_000)
	}
	return o
}

type fileJSON struct {
	ID          string `json:"id"`
	DownloadURL string `json:"downloadUrl"`
	Ext         string `json:"ext"`
	Name        string `json:"name"`
	UploadedAt  int64  `json:"uploadedAt"`
	Status      string `json:"status"`
	Size        int    `json:"size"`
}

type resumeJSON struct {
	ID         string         `json:"id"`
	CreatedAt  int64          `json:"createdAt"`
	File       fileJSON       `json:"file"`
	ParsedData map[string]any `json:"parsedData"`
}

func (d *dataset) file(i, k int, c oppCore) fileJSON {
	r := newRNG(d.seed, kindFile, i*8+k)
	id := uuid(d.seed, kindFile, i*8+k)
	p := d.person(i)
	return fileJSON{ID: id, DownloadURL: fmt.Sprintf("https://api.lever.co/v1/opportunities/%s/files/%s/download", d.oppID(i), id),
		Ext: pick(&r, []string{"pdf", "docx", "png"}), Name: asciiOnly(p.first) + "_" + asciiOnly(p.last) + "_portfolio",
		UploadedAt: d.detailTime(c, k), Status: "processed", Size: 20_000 + r.intn(2_000_000)}
}

func (d *dataset) resume(i, k int, c oppCore) resumeJSON {
	f := d.file(i, k, c)
	f.ID = uuid(d.seed, kindResume, i*8+k)
	f.Ext, f.Name = "pdf", f.Name[:len(f.Name)-len("_portfolio")]+"_resume.pdf"
	f.DownloadURL = fmt.Sprintf("https://api.lever.co/v1/opportunities/%s/resumes/%s/download", d.oppID(i), f.ID)
	p := d.person(i)
	return resumeJSON{ID: f.ID, CreatedAt: f.UploadedAt, File: f, ParsedData: map[string]any{
		"positions": []map[string]any{{"org": companies[i%len(companies)], "title": p.headline}},
		"schools":   []map[string]any{{"org": "State University", "degree": "BSc"}},
	}}
}
