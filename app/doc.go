// Package app is leversync's one wiring, in the way charmbracelet/crush keeps
// internal/app for both its TUI and its headless run: it turns flags or saved
// state into a running sync (environment and API root, the key and where it
// came from, the data file opened and bound, a client whose retries reach the
// engine, the engine, its event stream, and the socket on which it publishes
// those events for `leversync watch`, which Attach follows from any process,
// and WatchedSync shows on the dashboard as if it were a sync of its own).
// It resolves a profile's files once (LookupProfile: settings, saved keys
// and data file under the XDG folders), and repeats a sync on a schedule
// (RunSchedule) with its state beside the data file.
// The headless commands and the wizard's services both call it, so a sync is
// built one way only, and the doctor's facts (Doctor) come from the same
// client, store and config. The defaults live in the packages that own them
// (lever, store), never copied.
package app
