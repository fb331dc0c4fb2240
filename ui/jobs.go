package ui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// jobsView is what the Jobs page shows.
type jobsView int

const (
	viewJobs jobsView = iota
	viewCandidates
	viewSearch
	viewProfiles
)

// jobsSort is the order of the jobs table; s moves to the next.
type jobsSort int

const (
	sortTitle jobsSort = iota
	sortCandidates
	sortUpdated
	sortState
)

func (o jobsSort) String() string {
	return [...]string{"title", "candidates", "last update", "state"}[o]
}

// searchLimit is the most candidates a search lists.
const searchLimit = 100

// jobsPage lists the synced jobs (filter by typing, sort with s), a job's
// candidates, and a search for candidates across jobs. Every read goes
// through the services from a command; the page only keeps what arrived.
type jobsPage struct {
	c    *common
	svc  steps.Services
	view jobsView

	jobs    []steps.Job
	loaded  bool
	loading bool
	loadErr error
	filter  string
	order   jobsSort
	shown   []steps.Job
	table   drawnTable

	job         steps.Job
	cands       []steps.Candidate
	candsLoaded bool
	candsErr    error
	candTable   drawnTable

	input     textinput.Model
	searchSeq int
	// query is the search the results answer.
	query     string
	found     []steps.Candidate
	more      bool
	searchErr error
	foundTbl  drawnTable

	profileSwitch
}

// drawnTable is a bubbles table whose drawing is kept until it changes:
// the page redraws with every delivery of sync events, its tables seldom
// change, and drawing one is most of a frame's cost.
type drawnTable struct {
	table.Model
	drawn string
	fresh bool
}

func (t *drawnTable) View() string {
	if !t.fresh {
		t.drawn, t.fresh = t.Model.View(), true
	}
	return t.drawn
}

// changed notes that the table must be drawn again.
func (t *drawnTable) changed() { t.fresh = false }

func newJobsPage(c *common, svc steps.Services, profiles *Profiles) *jobsPage {
	in := textinput.New()
	in.Prompt = "Search candidates: "
	in.Placeholder = "a name or an email"
	in.CharLimit = 200
	p := &jobsPage{c: c, svc: svc, input: in, profileSwitch: profileSwitch{profiles: profiles, own: svc}}
	p.table, p.candTable, p.foundTbl, p.profTable = p.newTable(), p.newTable(), p.newTable(), p.newTable()
	return p
}

func (p *jobsPage) newTable() drawnTable {
	st := p.c.styles
	t := table.New(table.WithFocused(true), table.WithKeyMap(table.KeyMap{}))
	t.SetStyles(table.Styles{Header: st.TableHeader, Cell: st.TableCell, Selected: st.TableSelected})
	return drawnTable{Model: t}
}

// load reads the jobs again unless a read is in flight.
func (p *jobsPage) load() tea.Cmd {
	if p.loading || p.svc == nil {
		return nil
	}
	p.loading = true
	return readJobs(p.svc, p.source)
}

// refresh reads again what the page shows: the jobs, and the open job's
// candidates.
func (p *jobsPage) refresh() tea.Cmd {
	cmds := []tea.Cmd{p.load()}
	if p.view == viewCandidates && p.svc != nil {
		cmds = append(cmds, readCandidates(p.svc, p.job.ID))
	}
	return tea.Batch(cmds...)
}

// update handles the page's own messages.
func (p *jobsPage) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case jobsMsg:
		if msg.source != p.source {
			return nil // read from the profile shown before
		}
		p.loading = false
		if msg.err != nil {
			p.loadErr = msg.err
			return nil
		}
		p.jobs, p.loaded, p.loadErr = msg.jobs, true, nil
		p.arrange()
	case candidatesMsg:
		if msg.jobID != p.job.ID {
			return nil
		}
		p.cands, p.candsLoaded, p.candsErr = msg.list, msg.err == nil, msg.err
		p.setCandidateRows()
	case searchMsg:
		if msg.seq != p.searchSeq {
			return nil // an older query's answer
		}
		p.query, p.found, p.more, p.searchErr = msg.query, msg.found, msg.more, msg.err
		p.setFoundRows()
	case profilesMsg, profileBrowsedMsg:
		return p.profileUpdate(msg)
	}
	return nil
}

// typing reports whether a printable key goes to a text field now, so
// that letters are not taken as commands.
func (p *jobsPage) typing() bool {
	return p.view == viewSearch || (p.view == viewJobs && p.filter != "")
}

// key handles a key press on the page; it reports false for a key the page
// leaves to the root (tab, q, ?).
func (p *jobsPage) key(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := p.c.keys
	if key.Matches(msg, k.Profiles) && p.profiles != nil && p.view != viewProfiles {
		return p.openProfiles(), true
	}
	t := p.current()
	switch {
	case key.Matches(msg, k.Up):
		moveCursor(t, -1)
	case key.Matches(msg, k.Down):
		moveCursor(t, 1)
	case key.Matches(msg, k.PageUp):
		moveCursor(t, -max(t.Height(), 1))
	case key.Matches(msg, k.PageDown):
		moveCursor(t, max(t.Height(), 1))
	case key.Matches(msg, k.Top):
		moveCursor(t, -len(t.Rows()))
	case key.Matches(msg, k.Bottom):
		moveCursor(t, len(t.Rows()))
	default:
		return p.keyOfView(msg)
	}
	return nil, true
}

// moveCursor moves the selection by n rows, its mark with it. The mark is
// set before the move, so the table lays its rows out once.
func moveCursor(t *drawnTable, n int) {
	t.changed()
	rows := t.Rows()
	if len(rows) == 0 {
		return
	}
	from := t.Cursor()
	to := min(max(from+n, 0), len(rows)-1)
	if from >= 0 && from < len(rows) {
		rows[from][0] = " "
	}
	rows[to][0] = "›"
	if to < from {
		t.MoveUp(from - to)
	} else {
		t.MoveDown(to - from)
	}
}

// markCursor puts "›" in the first column of the selected row, so the
// selection shows without colour too.
func markCursor(t *drawnTable) {
	t.changed()
	rows := t.Rows()
	for i := range rows {
		rows[i][0] = " "
	}
	if c := t.Cursor(); c >= 0 && c < len(rows) {
		rows[c][0] = "›"
	}
	t.SetRows(rows)
}

func (p *jobsPage) current() *drawnTable {
	switch p.view {
	case viewCandidates:
		return &p.candTable
	case viewSearch:
		return &p.foundTbl
	case viewProfiles:
		return &p.profTable
	}
	return &p.table
}

func (p *jobsPage) keyOfView(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := p.c.keys
	switch p.view {
	case viewProfiles:
		return p.profileKey(msg)
	case viewSearch:
		if key.Matches(msg, k.Back) {
			p.view = viewJobs
			p.input.Blur()
			return nil, true
		}
		if key.Matches(msg, k.Switch) {
			return nil, false
		}
		before := p.input.Value()
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(msg)
		if q := p.input.Value(); q != before {
			return tea.Batch(cmd, p.searchFor(q)), true
		}
		return cmd, true
	case viewCandidates:
		switch {
		case key.Matches(msg, k.Back):
			p.view = viewJobs
			return nil, true
		case key.Matches(msg, k.Search):
			return p.openSearch(), true
		}
		return nil, false
	}
	// The jobs list: letters filter, except the command keys while the
	// filter is empty.
	switch {
	case key.Matches(msg, k.Select):
		return p.openJob(), true
	case key.Matches(msg, k.Back):
		if p.filter == "" {
			return nil, false
		}
		p.filter = ""
		p.arrange()
		return nil, true
	case msg.Code == tea.KeyBackspace:
		if r := []rune(p.filter); len(r) > 0 {
			p.filter = string(r[:len(r)-1])
			p.arrange()
		}
		return nil, true
	case p.filter == "" && key.Matches(msg, k.Search):
		return p.openSearch(), true
	case p.filter == "" && key.Matches(msg, k.Sort):
		p.order = (p.order + 1) % (sortState + 1)
		p.arrange()
		return nil, true
	case p.filter == "" && (key.Matches(msg, k.QuitNow) || key.Matches(msg, k.SyncNow) || key.Matches(msg, k.Help)):
		return nil, false
	case msg.Text != "" && msg.Mod&^tea.ModShift == 0:
		p.filter += msg.Text
		p.arrange()
		return nil, true
	}
	return nil, false
}

func (p *jobsPage) openJob() tea.Cmd {
	if len(p.shown) == 0 {
		return nil
	}
	p.job = p.shown[min(max(p.table.Cursor(), 0), len(p.shown)-1)]
	p.view = viewCandidates
	p.cands, p.candsLoaded, p.candsErr = nil, false, nil
	p.setCandidateRows()
	p.candTable.SetCursor(0)
	markCursor(&p.candTable)
	if p.svc == nil {
		return nil
	}
	return readCandidates(p.svc, p.job.ID)
}

func (p *jobsPage) openSearch() tea.Cmd {
	p.view = viewSearch
	return p.input.Focus()
}

// searchFor asks for the candidates matching q; only the latest answer is
// shown.
func (p *jobsPage) searchFor(q string) tea.Cmd {
	p.searchSeq++
	if strings.TrimSpace(q) == "" || p.svc == nil {
		p.query, p.found, p.more, p.searchErr = "", nil, false, nil
		p.setFoundRows()
		return nil
	}
	return searchCandidates(p.svc, p.searchSeq, q, searchLimit)
}

// arrange filters and sorts the jobs, keeping the selected job selected.
func (p *jobsPage) arrange() {
	var selected string
	if c := p.table.Cursor(); c >= 0 && c < len(p.shown) {
		selected = p.shown[c].ID
	}
	f := strings.ToLower(p.filter)
	p.shown = p.shown[:0]
	for _, j := range p.jobs {
		if f == "" || strings.Contains(strings.ToLower(j.Title+"\x00"+j.Team+"\x00"+j.Location+"\x00"+j.State), f) {
			p.shown = append(p.shown, j)
		}
	}
	slices.SortStableFunc(p.shown, func(a, b steps.Job) int {
		switch p.order {
		case sortCandidates:
			if c := cmp.Compare(b.Candidates, a.Candidates); c != 0 {
				return c
			}
		case sortUpdated:
			if c := cmp.Compare(b.UpdatedAt, a.UpdatedAt); c != 0 {
				return c
			}
		case sortState:
			if c := cmp.Compare(a.State, b.State); c != 0 {
				return c
			}
		}
		return cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	})
	p.setJobRows()
	cursor := 0
	for i, j := range p.shown {
		if j.ID == selected {
			cursor = i
		}
	}
	p.table.SetCursor(cursor)
	markCursor(&p.table)
}

// resize lays the tables out for the content area.
func (p *jobsPage) resize() {
	p.setJobRows()
	p.setCandidateRows()
	p.setFoundRows()
	p.setProfileRows()
	p.input.SetWidth(max(p.c.width-len(p.input.Prompt)-2, 10))
}

// tableHeight is the lines a table gets (its header included) below
// the page's title lines: the page has the content height and one more,
// the line the wizard keeps for a step's notes.
func (p *jobsPage) tableHeight(titles int) int { return max(p.c.height+1-titles, 3) }

func (p *jobsPage) setJobRows() {
	w := p.c.width
	cols := []column{{"Job", 0}, {"Team", 16}, {"Location", 20}, {"State", 10}, {"Conf.", 6}, {"Candidates", 11}, {"Updated", 11}}
	if w < 100 {
		cols = []column{{"Job", 0}, {"Location", 16}, {"State", 10}, {"Conf.", 6}, {"Cands", 6}, {"Updated", 11}}
	}
	rows := make([]table.Row, 0, len(p.shown))
	for _, j := range p.shown {
		conf := ""
		if j.Confidential {
			conf = "yes"
		}
		r := table.Row{j.Title, j.Team, j.Location, j.State, conf, lpad(progress.Thousands(j.Candidates), 10), day(j.UpdatedAt)}
		if w < 100 {
			r = slices.Delete(r, 1, 2)
			r[4] = lpad(progress.Thousands(j.Candidates), 5)
		}
		rows = append(rows, r)
	}
	setTable(&p.table, cols, rows, w, p.tableHeight(1))
}

func (p *jobsPage) setCandidateRows() {
	w := p.c.width
	cols := []column{{"Candidate", 0}, {"Stage", 22}, {"Origin", 10}, {"Owner", 18}, {"Archived", 22}, {"Updated", 11}}
	if w < 100 {
		cols = []column{{"Candidate", 0}, {"Stage", 17}, {"Owner", 15}, {"Archived", 15}, {"Updated", 11}}
	}
	rows := make([]table.Row, 0, len(p.cands))
	for _, c := range p.cands {
		archived := ""
		if c.Archived {
			archived = cmp.Or(c.ArchiveReason, "archived")
		}
		r := table.Row{c.Name, c.Stage, c.Origin, c.Owner, archived, day(c.UpdatedAt)}
		if w < 100 {
			r = slices.Delete(r, 2, 3)
		}
		rows = append(rows, r)
	}
	setTable(&p.candTable, cols, rows, w, p.tableHeight(2))
}

func (p *jobsPage) setFoundRows() {
	w := p.c.width
	cols := []column{{"Candidate", 22}, {"Email", 36}, {"Jobs", 0}, {"Stage", 20}, {"Updated", 11}}
	if w < 100 {
		cols = []column{{"Candidate", 20}, {"Email", 32}, {"Jobs", 0}, {"Updated", 11}}
	}
	rows := make([]table.Row, 0, len(p.found))
	for _, c := range p.found {
		r := table.Row{c.Name, c.Email, strings.Join(c.Jobs, ", "), c.Stage, day(c.UpdatedAt)}
		if w < 100 {
			r = slices.Delete(r, 3, 4)
		}
		rows = append(rows, r)
	}
	setTable(&p.foundTbl, cols, rows, w, p.tableHeight(2))
}

// column is a table column: a title and a width; 0 takes what is left.
type column struct {
	title string
	width int
}

func setTable(t *drawnTable, cols []column, rows []table.Row, width, height int) {
	t.changed()
	fixed := 2 // the cursor's mark
	for _, c := range cols {
		fixed += c.width
	}
	out := make([]table.Column, len(cols))
	for i, c := range cols {
		w := c.width
		if w == 0 {
			w = max(width-fixed, 10)
		}
		// The cell style pads one cell on the right.
		out[i] = table.Column{Title: c.title, Width: w - 1}
	}
	// A first column holds the cursor's mark.
	out = append([]table.Column{{Width: 1}}, out...)
	for i := range rows {
		rows[i] = append(table.Row{" "}, rows[i]...)
	}
	cursor := t.Cursor()
	t.SetRows(nil)
	t.SetColumns(out)
	t.SetRows(rows)
	t.SetWidth(width)
	t.SetHeight(height)
	t.SetCursor(max(cursor, 0))
	markCursor(t)
}

// day is a record's date, local; "—" when Lever gave none.
func day(ms int64) string {
	if ms == 0 {
		return "—"
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02")
}

// View draws the page in the content area.
func (p *jobsPage) View() string {
	st := p.c.styles
	switch p.view {
	case viewProfiles:
		return p.profilesView()
	case viewCandidates:
		title := st.Em.Render(p.job.Title)
		var facts []string
		for _, f := range []string{p.job.Team, p.job.Location, p.job.State} {
			if f != "" {
				facts = append(facts, f)
			}
		}
		if p.job.Confidential {
			facts = append(facts, "confidential")
		}
		line := title + st.Muted.Render(" · "+strings.Join(facts, " · "))
		switch {
		case p.candsErr != nil:
			return line + "\n\n" + p.c.para(st.Bad, "Could not read the candidates: "+p.candsErr.Error())
		case !p.candsLoaded:
			return line + "\n\n" + st.Muted.Render("Reading the candidates…")
		case len(p.cands) == 0:
			return line + "\n\n" + st.Muted.Render("No candidates stored for this job yet.")
		}
		return line + "\n" + st.Muted.Render(progress.Count(len(p.cands), "candidate", "candidates")+" · esc back to the jobs") + "\n" + p.candTable.View()
	case viewSearch:
		head := p.input.View()
		var line string
		switch {
		case p.searchErr != nil:
			line = st.Bad.Render("The search failed: " + p.searchErr.Error())
		case p.query == "":
			line = st.Muted.Render("Type a name or an email address: candidates whose names or addresses start with it, across every job.")
		case len(p.found) == 0:
			line = st.Muted.Render("No candidate matches " + quote(p.query) + ".")
		case p.more:
			line = st.Muted.Render("The first " + progress.Thousands(len(p.found)) + " matches of " + quote(p.query) + "; type more to narrow it.")
		default:
			line = st.Muted.Render(progress.Count(len(p.found), "candidate matches", "candidates match") + " " + quote(p.query) + ".")
		}
		if len(p.found) == 0 {
			return head + "\n" + line
		}
		return head + "\n" + line + "\n" + p.foundTbl.View()
	}
	var line string
	switch {
	case p.loadErr != nil && !p.loaded:
		return p.c.para(st.Warn, "The data file cannot be read now: "+p.loadErr.Error()) + "\n\n" +
			p.c.para(st.Muted, "This page reads it again in a moment.")
	case !p.loaded:
		return st.Muted.Render("Reading the jobs…")
	case len(p.jobs) == 0:
		return p.c.para(st.Muted, "No jobs stored yet. They appear here as the sync stores them.")
	case p.filter != "":
		line = st.Text.Render("Filter: "+p.filter) + st.Cursor.Render("▏") +
			st.Muted.Render(" · "+progress.Thousands(len(p.shown))+" of "+progress.Count(len(p.jobs), "job", "jobs")+" · esc clears")
	default:
		line = st.Text.Render(progress.Count(len(p.jobs), "job", "jobs")) +
			st.Muted.Render(" · sorted by "+p.order.String()+" · type to filter")
	}
	if len(p.shown) == 0 {
		return line + "\n\n" + st.Muted.Render("No job matches the filter.")
	}
	return line + "\n" + p.table.View()
}

func quote(s string) string { return "“" + s + "”" }

// Bindings are the keys the page answers to now.
func (p *jobsPage) Bindings() []key.Binding {
	k := p.c.keys
	switch p.view {
	case viewCandidates:
		return []key.Binding{k.Move, relabel(k.Back, "jobs"), k.Search}
	case viewSearch:
		return []key.Binding{k.Move, relabel(k.Back, "done")}
	case viewProfiles:
		return []key.Binding{k.Move, relabel(k.Open, "show"), k.Back}
	}
	if p.filter != "" {
		return []key.Binding{k.Move, k.Open, k.ClearFilter}
	}
	return []key.Binding{k.Open, k.Search, k.Sort, k.SyncNow}
}

// restyle follows a change of the styles (the terminal's background).
func (p *jobsPage) restyle() {
	st := p.c.styles
	for _, t := range []*drawnTable{&p.table, &p.candTable, &p.foundTbl, &p.profTable} {
		t.SetStyles(table.Styles{Header: st.TableHeader, Cell: st.TableCell, Selected: st.TableSelected})
		t.changed()
	}
}
