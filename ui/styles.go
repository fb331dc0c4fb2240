package ui

import (
	"image/color"
	"strings"

	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// Styles are every style the wizard draws with, in one place. They follow
// the terminal's background (light or dark); colors are dropped by the
// renderer when the terminal has none or NO_COLOR is set.
type Styles struct {
	isDark bool

	Header    lipgloss.Style
	StepCount lipgloss.Style
	Title     lipgloss.Style
	Text      lipgloss.Style
	Muted     lipgloss.Style
	Em        lipgloss.Style
	Code      lipgloss.Style

	Cursor   lipgloss.Style
	Selected lipgloss.Style
	Disabled lipgloss.Style

	Ok      lipgloss.Style
	Bad     lipgloss.Style
	Warn    lipgloss.Style
	Unknown lipgloss.Style

	Problem    lipgloss.Style
	ProblemHdr lipgloss.Style
	Notice     lipgloss.Style
	Box        lipgloss.Style
	Dialog     lipgloss.Style
	Help       lipgloss.Style
	Input      lipgloss.Style

	// Tables of the dashboard and the Jobs page.
	TableHeader   lipgloss.Style
	TableCell     lipgloss.Style
	TableSelected lipgloss.Style
	// Spark is the request-rate chart; Label the names of the overall lines.
	Spark lipgloss.Style
	Label lipgloss.Style
	// Bar is the colour of the overall progress bar.
	Bar color.Color

	// Ink holds the plain colour and weight styles as bare escape codes,
	// for the pages redrawn ten times a second.
	Ink Inks
}

// Inks are the styles of the same names, reduced to ink.
type Inks struct {
	Header, Title, Text, Muted, Em, Cursor, Ok, Bad, Warn, Label, Spark, TableHeader ink
}

// ink is a style that only sets colour and weight, reduced to the escape
// codes it wraps a line of text in: what Style.Render writes, without the
// layout work it does for every call (measuring, aligning, margins), which
// is most of a frame's cost.
type ink struct{ pre, post string }

// inkOf reduces st; st must set no width, padding, margin or border.
func inkOf(st lipgloss.Style) ink {
	pre, post, _ := strings.Cut(st.Render("\x00"), "\x00")
	return ink{pre: pre, post: post}
}

// Render writes one line of text in the ink.
func (i ink) Render(s string) string {
	if s == "" {
		return ""
	}
	return i.pre + s + i.post
}

// NewStyles builds the styles for a dark or light background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	var (
		accent  = ld(lipgloss.Color("#5A3FD9"), lipgloss.Color("#9D8CFF"))
		text    = ld(lipgloss.Color("#1F1F28"), lipgloss.Color("#E6E6EE"))
		muted   = ld(lipgloss.Color("#6B6B78"), lipgloss.Color("#8E8E9C"))
		green   = ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#5FD787"))
		red     = ld(lipgloss.Color("#B42318"), lipgloss.Color("#FF6B6B"))
		yellow  = ld(lipgloss.Color("#9A6700"), lipgloss.Color("#F5C542"))
		border  = ld(lipgloss.Color("#C8C8D4"), lipgloss.Color("#4A4A5A"))
		dimText = ld(lipgloss.Color("#9A9AA6"), lipgloss.Color("#5E5E6E"))
	)
	s := Styles{isDark: isDark}
	s.Header = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.StepCount = lipgloss.NewStyle().Foreground(muted)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(text)
	s.Text = lipgloss.NewStyle().Foreground(text)
	s.Muted = lipgloss.NewStyle().Foreground(muted)
	s.Em = lipgloss.NewStyle().Bold(true).Foreground(text)
	s.Code = lipgloss.NewStyle().Foreground(accent)
	s.Cursor = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Selected = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Disabled = lipgloss.NewStyle().Foreground(dimText)
	s.Ok = lipgloss.NewStyle().Foreground(green)
	s.Bad = lipgloss.NewStyle().Bold(true).Foreground(red)
	s.Warn = lipgloss.NewStyle().Foreground(yellow)
	s.Unknown = lipgloss.NewStyle().Foreground(yellow)
	s.Problem = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(red).PaddingLeft(1)
	s.ProblemHdr = lipgloss.NewStyle().Bold(true).Foreground(red)
	s.Notice = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(yellow).PaddingLeft(1)
	s.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(border).Padding(0, 1)
	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(1, 2)
	s.Help = lipgloss.NewStyle().Foreground(muted)
	s.Input = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(accent).Padding(0, 1)
	s.TableHeader = lipgloss.NewStyle().Bold(true).Foreground(muted).Padding(0, 1, 0, 0)
	s.TableCell = lipgloss.NewStyle().Padding(0, 1, 0, 0)
	s.TableSelected = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Spark = lipgloss.NewStyle().Foreground(accent)
	s.Label = lipgloss.NewStyle().Bold(true).Foreground(text)
	s.Bar = accent
	s.Ink = Inks{
		Header: inkOf(s.Header), Title: inkOf(s.Title), Text: inkOf(s.Text), Muted: inkOf(s.Muted), Em: inkOf(s.Em),
		Cursor: inkOf(s.Cursor), Ok: inkOf(s.Ok), Bad: inkOf(s.Bad), Warn: inkOf(s.Warn), Label: inkOf(s.Label),
		Spark: inkOf(s.Spark), TableHeader: inkOf(s.TableHeader.UnsetPadding()),
	}
	return s
}

// accent is the color huh forms use for focus, matching the wizard's.
func (s Styles) accent() color.Color { return s.Selected.GetForeground() }

// FormTheme is the huh theme matching these styles.
func (s Styles) FormTheme() huh.Theme {
	return huh.ThemeFunc(func(isDark bool) *huh.Styles {
		st := huh.ThemeBase(isDark)
		ws := NewStyles(isDark)
		st.Focused.Base = st.Focused.Base.BorderForeground(ws.accent())
		st.Focused.Title = ws.Title
		st.Focused.Description = ws.Muted
		st.Focused.SelectSelector = ws.Cursor.SetString("> ")
		st.Focused.SelectedOption = ws.Selected
		st.Focused.UnselectedOption = ws.Text
		st.Focused.MultiSelectSelector = ws.Cursor.SetString("> ")
		st.Focused.SelectedPrefix = ws.Ok.SetString("[x] ")
		st.Focused.UnselectedPrefix = ws.Muted.SetString("[ ] ")
		st.Focused.FocusedButton = ws.Selected.Reverse(true).Padding(0, 2).MarginRight(1)
		st.Focused.BlurredButton = ws.Muted.Padding(0, 2).MarginRight(1)
		st.Focused.ErrorIndicator = ws.Bad.SetString(" *")
		st.Focused.ErrorMessage = ws.Bad
		st.Blurred = st.Focused
		st.Blurred.Base = st.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
		st.Blurred.SelectSelector = lipgloss.NewStyle().SetString("  ")
		st.Blurred.MultiSelectSelector = lipgloss.NewStyle().SetString("  ")
		st.Blurred.Title = ws.Muted
		return st
	})
}
