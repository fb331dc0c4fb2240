// Package steps is the onboarding wizard as plain Go: the ten steps in order,
// each step's choices and defaults, validation, where an answer leads, the
// troubleshooting routes after a failed connection, the Services the wizard
// calls for anything that touches the network or the disk, and the checks of
// `leversync doctor` (Diagnose), which judge the facts an Examiner gathers
// and say what to do. It holds no terminal code, so the whole flow can be
// tested as tables and driven by any front end (the bubbletea UI or the
// line-by-line accessible prompts).
//
// The API key never enters a State: it lives only in memory, in the
// credential store, and in the client's Authorization header.
package steps
