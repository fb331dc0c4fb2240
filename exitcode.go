package main

import (
	"context"
	"errors"
	"fmt"
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
	exitFailure     = 1
	exitUsage       = 2
	exitNoKey       = 3 // no key available, or Lever rejected it (401)
	exitPermission  = 4 // a required permission is missing (403)
	exitUnavailable = 5 // Lever or the network unavailable after retries
	exitStore       = 6 // the data file is in use, corrupt, full or of another environment
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

// codeFor classifies an error; the signal case is handled by the caller.
func codeFor(err error) int {
	var netErr net.Error
	switch {
	case isUsage(err):
		return exitUsage
	case errors.Is(err, app.ErrNoKey), errors.Is(err, lever.ErrUnauthorized):
		return exitNoKey
	case errors.Is(err, lever.ErrForbidden):
		return exitPermission
	case errors.Is(err, store.ErrInUse), errors.Is(err, store.ErrCorrupt),
		errors.Is(err, store.ErrDiskFull), errors.Is(err, store.ErrOtherEnvironment),
		errors.Is(err, store.ErrSchema), errors.Is(err, store.ErrNoStore),
		errors.Is(err, syscall.ENOSPC):
		return exitStore
	case errors.Is(err, lever.ErrRateLimited), errors.Is(err, lever.ErrUnavailable),
		errors.As(err, &netErr):
		return exitUnavailable
	}
	return exitFailure
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
