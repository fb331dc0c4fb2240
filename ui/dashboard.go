package ui

import (
	"fmt"
	"strings"
	"time"

	bar "charm.land/bubbles/v2/progress"
	"charm.land/lipgloss/v2"

	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
)

// dashboard is the live view of a sync: a row per phase with its state,
// what the data file holds and what this run stored, pages and rate; the
// overall lines (requests against Lever's limit with a chart of the last
// minutes, records per second, retries and the back-off in progress, an
// estimate of what is left when there is evidence for one, a line when the
// sync runs slower than Lever allows); and the last errors, each with a
// hint. It only lays out the session's snapshot.
type dashboard struct {
	c   *common
	s   *session
	bar bar.Model
}

func newDashboard(c *common, s *session) *dashboard {
	return &dashboard{c: c, s: s, bar: bar.New(bar.WithWidth(20), bar.WithoutPercentage(), bar.WithFillCharacters('█', '░'))}
}

// View draws the dashboard in width x height cells. The status line, the
// phases and the overall lines always show; the last errors get the room
// left, then the note of the last key and the summary of a finished run.
func (d *dashboard) View(width, height int) string {
	st := d.c.styles
	s := d.s
	now := d.c.now().UnixMilli()

	status := d.status(width, now)
	if s.startErr != nil {
		return join(status, d.c.para(st.Muted, "Press enter to paste the key again, or fix the cause and run leversync again; your setup is saved."))
	}
	top := status + "\n" + d.phases(width)
	overall := d.overall(width, now)
	room := height - lipgloss.Height(join(top, overall)) - 1
	if s.next != nil && !s.active() {
		// Between a schedule's runs: when the next one starts, before
		// anything that may not fit.
		next := d.c.nextRunLine(*s.next, width)
		overall = join(overall, next)
		room -= lipgloss.Height(next) + 1
	}
	errs := d.errors(width, room)
	room -= lipgloss.Height(errs) + 1
	var extra []string
	if s.following() {
		extra = append(extra, d.c.para(st.Muted, "In file: shown once the sync ends (until then its process holds the file)."))
	}
	if s.note != "" {
		extra = append(extra, d.c.para(st.Muted, s.note))
	}
	if s.finished {
		extra = append(extra, d.c.para(st.Text, d.summary()))
	}
	blocks := []string{top, overall, errs}
	for _, e := range extra {
		if h := lipgloss.Height(e); h < room {
			blocks = append(blocks, e)
			room -= h + 1
		}
	}
	return join(blocks...)
}

// status is the first line: what the sync is doing.
func (d *dashboard) status(width int, now int64) string {
	st := d.c.styles
	s := d.s
	snap := s.snap
	switch {
	case s.startErr != nil:
		return st.Ink.Bad.Render("✗ The sync could not start. ") + d.c.para(st.Text, s.startErr.Error())
	case s.run == nil:
		return st.Ink.Cursor.Render(d.frame()) + " " + st.Ink.Text.Render("Starting the sync…")
	case s.finished:
		elapsed := " · " + duration(snap.Elapsed())
		switch snap.Result() {
		case syncer.ResultOK, syncer.ResultWarnings:
			return st.Ink.Ok.Render("✓ Sync done") + st.Ink.Muted.Render(" · "+progress.ResultPhrase(snap.Result())+elapsed)
		case syncer.ResultInterrupted:
			return st.Ink.Warn.Render("■ Sync stopped") + st.Ink.Muted.Render(" · the next run resumes where it stopped"+elapsed)
		}
		return st.Ink.Bad.Render("✗ Sync failed") + st.Ink.Muted.Render(elapsed)
	case snap.Paused:
		since := duration(time.Duration(max(now-snap.StartedAt, 0)) * time.Millisecond)
		return st.Ink.Warn.Render("⏸ Paused") + st.Ink.Muted.Render(truncate(" · "+since+" · no new requests to Lever until you press p", width-9))
	}
	what := "full sync"
	switch {
	case snap.Run.UpdatedSince > 0:
		what = "changes since " + time.UnixMilli(snap.Run.UpdatedSince).Local().Format("Jan 2 15:04")
	case snap.LastRun == nil:
		what = "first sync"
	}
	doing := "Syncing from Lever"
	if d.c.env != "" {
		doing += " " + d.c.env
	}
	if s.watched {
		doing = "Watching a sync run by another process"
	}
	return st.Ink.Cursor.Render(d.frame()) + " " + st.Ink.Text.Render(doing) +
		st.Ink.Muted.Render(" · "+what+" · "+duration(time.Duration(max(now-snap.StartedAt, 0))*time.Millisecond))
}

// frame is the spinner's frame: it moves with every redraw of a live sync.
func (d *dashboard) frame() string {
	return spinnerFrames[d.c.frames%len(spinnerFrames)]
}

// Column widths of the phase table.
const (
	colPhase = 16
	colState = 12
	colCount = 10
	colPages = 7
	colRate  = 9
)

// phases is the table of phases.
func (d *dashboard) phases(width int) string {
	st := d.c.styles
	snap := d.s.snap
	var b strings.Builder
	head := pad("phase", colPhase) + pad("state", colState) + lpad("in file", colCount) + lpad("this run", colCount) +
		lpad("pages", colPages) + lpad("rate", colRate)
	b.WriteString(st.Ink.TableHeader.Render(head))
	wide := width >= colPhase+colState+2*colCount+colPages+colRate+30
	for _, p := range snap.Phases {
		b.WriteString("\n")
		mark, word, style := d.state(p)
		file := "—"
		if n, ok := d.inFile(p); ok {
			file = progress.Thousands(n)
		}
		run, pages, rate := "—", "—", ""
		if p.State != progress.Waiting && p.State != progress.Kept {
			run, pages = progress.Thousands(p.Records), progress.Thousands(p.Pages)
			if r := p.RecordsPerSecond(); r > 0 && p.State == progress.Syncing {
				rate = perSecond(r)
			}
		}
		line := pad(p.Title(), colPhase) + style.Render(pad(mark+" "+word, colState)) + lpad(file, colCount) + lpad(run, colCount) +
			lpad(pages, colPages) + lpad(rate, colRate)
		if why := reason(p); why != "" {
			if wide {
				line += "  " + style.Render(truncate(why, width-lipgloss.Width(line)-2))
			}
		}
		b.WriteString(line)
	}
	out := b.String()
	// On a narrow screen the reason of a failed row goes below the table.
	// A kept list's age is left out there: it is no trouble.
	if !wide {
		for _, p := range snap.Phases {
			if why := reason(p); why != "" && p.State != progress.Kept {
				_, _, style := d.state(p)
				out += "\n" + style.Render(truncate(p.Title()+": "+why, width))
			}
		}
	}
	return out
}

func reason(p progress.Phase) string {
	switch p.State {
	case progress.Skipped:
		return `the key lacks "` + p.Reason + `"`
	case progress.Failed, progress.Kept:
		return p.Reason
	}
	if p.Deleted > 0 {
		return progress.Thousands(p.Deleted) + " deleted in Lever"
	}
	return ""
}

// state is a row's mark, word and style.
func (d *dashboard) state(p progress.Phase) (mark, word string, style ink) {
	st := d.c.styles.Ink
	switch p.State {
	case progress.Syncing:
		if d.s.snap.Paused {
			return "⏸", "paused", st.Warn
		}
		return d.frame(), "syncing", st.Cursor
	case progress.Done:
		return "✓", "done", st.Ok
	case progress.Failed:
		return "✗", "failed", st.Bad
	case progress.Skipped:
		return "⊘", "skipped", st.Bad
	case progress.Stopped:
		return "■", "stopped", st.Warn
	case progress.Kept:
		return "=", "kept", st.Muted
	}
	return "·", "waiting", st.Muted
}

// inFile is what the data file holds for a row.
func (d *dashboard) inFile(p progress.Phase) (int, bool) {
	in := d.s.snap.InFile
	if in == nil {
		return 0, false
	}
	switch {
	case p.Resource != "":
		n, ok := in[p.Resource]
		return n, ok
	case p.Name == syncer.PhaseDetails:
		n := 0
		for _, r := range lever.DetailResources {
			n += in[r]
		}
		return n, true
	}
	return 0, false
}

// overall is the lines about the whole run.
func (d *dashboard) overall(width int, now int64) string {
	st := d.c.styles
	snap := d.s.snap
	if !snap.Started {
		return ""
	}
	label := func(s string) string { return st.Ink.Label.Render(pad(s, 10)) }
	live := !d.s.finished

	// Requests against the limit, and their chart.
	var reqs string
	if live {
		rate := snap.RecentRequestRate(now, 10)
		gauge := fmt.Sprintf("%.1f", rate)
		if snap.RateLimit > 0 {
			gauge += " / " + trimFloat(snap.RateLimit)
		}
		gauge += " req/s"
		room := width - 10 - len(gauge) - 2 - 12
		reqs = label("Requests") + st.Ink.Text.Render(gauge) + "  " + d.spark(room, now)
	} else {
		total := progress.Count(int(snap.Requests), "request", "requests")
		if snap.Elapsed() >= time.Second {
			total += fmt.Sprintf(", %.1f a second on average", snap.RequestsPerSecond())
		}
		reqs = label("Requests") + st.Ink.Text.Render(total)
	}

	// Records.
	recs := progress.Count(snap.Records(), "record", "records") + " stored this run"
	if live {
		recs = perSecond(snap.RecentRecordRate(now, 10)) + " · " + recs + " · " + progress.Count(int(snap.Requests), "request", "requests")
	}
	records := label("Records") + st.Ink.Text.Render(recs)

	// Retries, and the wait in progress.
	retry := progress.Count(snap.Retries, "retry", "retries")
	if snap.RateLimited > 0 {
		retry += ", " + progress.Thousands(snap.RateLimited) + " after HTTP 429"
	}
	retries := label("Retries") + st.Ink.Text.Render(retry)
	if r := snap.LastRetry; live && r != nil && r.At+r.WaitMS > now {
		wait := time.Duration(r.At+r.WaitMS-now) * time.Millisecond
		cause := r.Cause()
		if r.Status == 429 {
			cause = "429"
		}
		retries += st.Ink.Warn.Render(truncate(" · waiting "+wait.Round(100*time.Millisecond).String()+" after a "+cause+" on "+r.Path, width-lipgloss.Width(retries)))
	}

	lines := []string{reqs, records, retries}
	if live {
		lines = append(lines, d.estimate(width, now))
		if slow, ok := snap.Slower(now); ok {
			lines = append(lines, d.slower(slow, width))
		}
	}
	return strings.Join(lines, "\n")
}

// slower is the line that says the sync runs slower than Lever allows, and
// why: refused requests mean another integration shares the key's budget,
// other retries that Lever or the network fails. doctor checks both.
func (d *dashboard) slower(slow progress.Slowdown, width int) string {
	st := d.c.styles
	// The rate over the rule's window, which is longer than the
	// Requests line's: say so, or the two read as a contradiction.
	text := fmt.Sprintf("%.1f req/s over %d s, of %s · ", slow.Rate, slow.Window, trimFloat(slow.Ceiling))
	if slow.RateLimited > 0 {
		text += "Lever refused " + progress.Thousands(slow.RateLimited) + " (429): another integration may share this key"
	} else {
		text += "Lever or the network failed " + progress.Count(slow.Retries, "request", "requests")
	}
	text += " · run leversync doctor"
	return st.Ink.Label.Render(pad("Slower", 10)) + st.Ink.Warn.Render(truncate(text, width-10))
}

// estimate is the line about what is left.
func (d *dashboard) estimate(width int, now int64) string {
	st := d.c.styles
	snap := d.s.snap
	label := st.Ink.Label.Render(pad("Estimate", 10))
	left, ok := snap.EstimateLeft(now)
	if !ok {
		opps, _ := snap.Phase(string(lever.Opportunities))
		why := "none yet: Lever does not say how many candidates there are"
		switch {
		case snap.Run.UpdatedSince > 0 && opps.State != progress.Done:
			why = "none: Lever does not say how many candidates changed"
		case opps.State == progress.Done:
			why = "none: not enough evidence yet"
		}
		return label + st.Ink.Muted.Render(truncate(why, width-10))
	}
	d.bar.SetWidth(min(20, max(width/8, 8)))
	text := "about " + roughly(left.Time) + " left · estimate: " + left.Basis
	return label + d.bar.ViewAs(left.Share()) + " " + st.Ink.Text.Render(truncate(text, width-10-d.bar.Width()-1))
}

// spark is the request rate of the last minutes as a one-line chart,
// scaled to the limit, with how far back it reaches.
func (d *dashboard) spark(width int, now int64) string {
	st := d.c.styles
	snap := d.s.snap
	if width < 8 {
		return ""
	}
	span := (now - snap.StartedAt) / 1000
	if span < 1 {
		return ""
	}
	chars := width
	per := max(int((min(span, progress.HistorySeconds)+int64(chars)-1)/int64(chars)), 1)
	n := min(chars, int((min(span, progress.HistorySeconds)+int64(per)-1)/int64(per)))
	rates := snap.RequestRates(now, n*per)
	top := snap.RateLimit
	if top <= 0 {
		for _, r := range rates {
			top = max(top, r)
		}
	}
	const blocks = " ▁▂▃▄▅▆▇█"
	levels := []rune(blocks)
	var b strings.Builder
	for i := range n {
		sum := 0.0
		for _, r := range rates[i*per : (i+1)*per] {
			sum += r
		}
		v := sum / float64(per)
		l := 0
		if top > 0 {
			l = min(int(v/top*float64(len(levels)-1)+0.5), len(levels)-1)
		}
		if v > 0 {
			l = max(l, 1)
		}
		b.WriteRune(levels[l])
	}
	return st.Ink.Spark.Render(b.String()) + st.Ink.Muted.Render(" last "+roughly(time.Duration(n*per)*time.Second))
}

// summary is what a finished run leaves: what it stored, and what the file
// now holds.
func (d *dashboard) summary() string {
	snap := d.s.snap
	out := "This run stored " + progress.Count(snap.Stored(), "record", "records") + "."
	if n, ok := snap.InFile[lever.Opportunities]; ok {
		jobs := snap.InFile[lever.Postings]
		out += " The file holds " + progress.Count(n, "candidate", "candidates") + " and " + progress.Count(jobs, "job", "jobs") + "."
	}
	if snap.Result() == syncer.ResultOK || snap.Result() == syncer.ResultWarnings {
		out += " Run leversync again any time: it syncs what changed."
	}
	return out
}

// errors lists the last errors and warnings, each with a hint, in at most
// room lines.
func (d *dashboard) errors(width, room int) string {
	st := d.c.styles
	snap := d.s.snap
	type item struct {
		text string
		bad  bool
	}
	var items []item
	for i := len(snap.Errors) - 1; i >= 0; i-- {
		items = append(items, item{snap.Errors[i], true})
	}
	for i := len(snap.Warnings) - 1; i >= 0; i-- {
		items = append(items, item{snap.Warnings[i], false})
	}
	if len(items) == 0 || room < 3 {
		return ""
	}
	lines := []string{st.Ink.Label.Render("Last errors")}
	for _, it := range items {
		if len(lines)+2 > room {
			break
		}
		mark, style := "! ", st.Ink.Warn
		if it.bad {
			mark, style = "✗ ", st.Ink.Bad
		}
		lines = append(lines, style.Render(mark+truncate(it.text, width-2)), st.Ink.Muted.Render("  "+truncate(hint(it.text), width-2)))
	}
	return strings.Join(lines, "\n")
}

// hint is one line on what to do about an error or warning.
func hint(msg string) string {
	switch {
	case strings.Contains(msg, "lacks the") && strings.Contains(msg, "permission"):
		return "Generate a key in Lever with this permission, then run leversync setup to use it."
	case strings.Contains(msg, "(401)"):
		return "Lever rejected the key: run leversync setup and paste a valid one."
	case strings.Contains(msg, "no access to confidential data"):
		return "To include them, generate a key with confidential access and run leversync setup."
	case strings.Contains(msg, "rate limited"):
		return "Lever kept answering 429: wait a few minutes, then run leversync again; it resumes."
	case strings.Contains(msg, "unavailable"):
		return "Lever or the network did not answer: run leversync again later; it resumes."
	case strings.Contains(msg, "page token"):
		return "Nothing to do: that list is read again from its start."
	case strings.Contains(msg, "(404)"):
		return "Nothing to do: this Lever account has no such list."
	case strings.Contains(msg, "store") || strings.Contains(msg, "data file") || strings.Contains(msg, "disk"):
		return "Free some disk space, or run leversync status --check; then run leversync again."
	}
	return "Run leversync again: the sync resumes where it stopped."
}

// pad and lpad fit s to n cells, left or right aligned.
func pad(s string, n int) string {
	s = truncate(s, n-1)
	return s + strings.Repeat(" ", max(n-lipgloss.Width(s), 0))
}

func lpad(s string, n int) string {
	s = truncate(s, n-1)
	return strings.Repeat(" ", max(n-lipgloss.Width(s), 0)) + s
}

func perSecond(r float64) string {
	if r >= 100 {
		return progress.Thousands(int(r+0.5)) + "/s"
	}
	return fmt.Sprintf("%.1f/s", r)
}

func trimFloat(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

// duration is an elapsed time as people read it: "45s", "3m 12s",
// "2h 05m".
func duration(d time.Duration) string {
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}

// roughly is a span as an estimate says it: "a minute", "4 min", "2 h".
func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(int(d.Round(5*time.Second).Seconds()), 5))
	case d < 90*time.Second:
		return "a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}
