// Package ui is leversync's terminal face: one bubbletea root model that
// owns the screen and routes every message. It draws the onboarding
// wizard (the header "Step 5 of 10", the current step's screen, the key
// help), then the sync's live dashboard and the Jobs page, which a set-up
// machine opens on. Steps, the dashboard and the Jobs page are plain
// components the root calls; the flow itself (choices, validation, where
// an answer leads) lives in package steps, and anything that touches the
// network or the disk goes through steps.Services from a tea.Cmd, never
// from Update or View. A sync's events arrive from a command the root
// re-arms after each delivery, at most ten times a second, and are folded
// by package progress; the dashboard only lays out its snapshot. The same
// dashboard follows, read-only, a sync that another process runs (a
// Watched, seeded from its snapshot): leversync watch, or leversync while
// another process holds the data file. The same wizard runs as plain
// line-by-line prompts in accessible mode; Confirm asks the command line's
// yes-or-no questions the same way.
package ui
