package ui

import (
	"context"

	"github.com/leversync/leversync/lever/syncer"
	"github.com/leversync/leversync/progress"
	"github.com/leversync/leversync/steps"
)

// Watched is a sync another process runs, followed read-only (leversync
// watch's socket): a SyncRun whose SetPaused and SetDetails do nothing,
// with its progress as of when the watch began. Close stops watching; the
// sync goes on.
type Watched interface {
	steps.SyncRun
	Initial() progress.Snapshot
	Close() error
}

// WatchEnd is how a watch ended.
type WatchEnd struct {
	// Ended: the watched sync ended before the user left; Run is the run
	// as its end described it, Err what went wrong, such as its process
	// going away before its end.
	Ended bool
	Run   syncer.RunState
	Err   error
}

// RunWatch shows the dashboard of a sync another process runs (leversync
// watch), read-only, until the user leaves: q and ctrl+c leave at once,
// and the sync goes on. Once the sync ends the dashboard shows how, and the
// Jobs page (tab) reads the data file as soon as it is free. It returns
// ctx's error when ctx ended the watch.
func RunWatch(ctx context.Context, cfg Config, w Watched) (WatchEnd, error) {
	cfg = withStreams(cfg)
	m := newFollowingModel(cfg, w, true)
	fm, err := runProgram(ctx, cfg, m)
	if fm == nil || !fm.sync.finished {
		return WatchEnd{}, err
	}
	return WatchEnd{Ended: true, Run: fm.sync.endRun, Err: fm.sync.endErr}, err
}

// newFollowingModel is the dashboard following w. only: it is all the
// program does (leversync watch): it never starts a sync of its own.
// Otherwise (leversync while another process syncs) the saved setup is
// read once the sync frees the file, and the program goes on as on a
// set-up machine.
func newFollowingModel(cfg Config, w Watched, only bool) Model {
	setUp := steps.NewState()
	setUp.Step, setUp.Completed = steps.StepSync, true
	m := NewModel(cfg, setUp)
	m.page = pageSync
	m.watchOnly = only
	m.setupUnread = !only
	m.c.env = ""
	m.follow = w
	return m
}
