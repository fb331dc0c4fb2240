package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/leversync/leversync/app"
	"github.com/leversync/leversync/lever"
	"github.com/leversync/leversync/store"
	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0
	exitFailure     = 1 // an error leversync does not classify
	exitUsage       = 2
	exitNoKey       = 3 // no key available, or Lever rejected it (401)
	exitPermission  = 4 // a required permission is missing (403)
	exitUnavailable = 5 // Lever or the network unavailable after retries
	exitStore       = 6 // a local file problem: the data file, a path, the config folder
	exitNotLever    = 7 // the API root does not answer like Lever's API
	exitSIGINT      = 130
	exitSIGTERM     = 143
)

// usageError marks a mistake in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errSilent is an error already reported to the user; it only sets the exit
// code.
var errSilent = errors.New("reported")

// exitCodeError carries an exit code through cobra for an error already
// reported.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string   { return errSilent.Error() }
func (e exitCodeError) Is(t error) bool { return t == errSilent }

// usageArgs wraps a cobra argument check so its errors exit 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// exitCode maps an error to the documented exit codes.
func (a *cli) exitCode(err error) int {
	if sig, ok := a.stopSignal.Load().(os.Signal); ok && (err == nil || errors.Is(err, context.Canceled)) {
		return signalExitCode(sig)
	}
	if err == nil {
		return exitOK
	}
	if ec, ok := errors.AsType[exitCodeError](err); ok {
		return ec.code
	}
	return codeFor(err)
}

// codeFor classifies an error by what it is; the signal case is handled by
// the caller.
func codeFor(err error) int {
	switch {
	case isUsage(err):
		return exitUsage
	case errors.Is(err, app.ErrNoKey), errors.Is(err, lever.ErrUnauthorized):
		return exitNoKey
	case errors.Is(err, lever.ErrForbidden):
		return exitPermission
	case errors.Is(err, store.ErrInUse), errors.Is(err, store.ErrCorrupt),
		errors.Is(err, store.ErrDiskFull), errors.Is(err, store.ErrOtherEnvironment),
		errors.Is(err, store.ErrOtherAccount),
		errors.Is(err, store.ErrSchema), errors.Is(err, store.ErrNoStore),
		errors.Is(err, store.ErrNotStore), errors.Is(err, app.ErrScheduled), isFileSystem(err):
		return exitStore
	case errors.Is(err, lever.ErrNotLeverAPI):
		return exitNotLever
	case errors.Is(err, lever.ErrRateLimited), errors.Is(err, lever.ErrUnavailable),
		isNetwork(err):
		return exitUnavailable
	}
	return exitFailure
}

// isFileSystem reports an error from a local file or folder: a path that
// cannot be read, written or created, a full disk or a size limit. A
// syscall.Errno also satisfies net.Error, so it counts as the network only
// inside a network operation.
func isFileSystem(err error) bool {
	if isNetwork(err) {
		return false
	}
	if _, ok := errors.AsType[*fs.PathError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*os.LinkError](err); ok {
		return true
	}
	_, ok := errors.AsType[syscall.Errno](err)
	return ok
}

// isNetwork reports an error of the network itself (a dial, a name
// lookup, no answer in time), not one from a file.
func isNetwork(err error) bool {
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// isUsage also recognises cobra's own command-line errors, which are plain.
func isUsage(err error) bool {
	if _, ok := errors.AsType[usageError](err); ok {
		return true
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func signalExitCode(sig os.Signal) int {
	if sig == syscall.SIGTERM {
		return exitSIGTERM
	}
	return exitSIGINT
}
