package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/term"
)

// Errors a prompt returns when the user asks to go back or to quit rather
// than answer.
var (
	errBack = errors.New("back")
	errQuit = errors.New("quit")
)

// prompter asks plain line-by-line questions, for screen readers and for
// tests with piped input. At any prompt, "b" goes back and "q" quits.
type prompter interface {
	// Select returns the index of the chosen option; def is the default.
	Select(title, help string, options []string, def int) (int, error)
	Confirm(title, help string, def bool) (bool, error)
	// Input reads a line of text.
	Input(title, help string) (string, error)
	// Secret reads a line without echoing it when the input is a terminal.
	Secret(title, help string) (string, error)
	// Say prints a paragraph.
	Say(text string)
}

type linePrompter struct {
	// ctx ends a wait for an answer (a Ctrl-C or SIGTERM).
	ctx context.Context
	in  *bufio.Reader
	fd  uintptr
	tty bool
	out io.Writer
}

func newLinePrompter(ctx context.Context, in io.Reader, out io.Writer) *linePrompter {
	p := &linePrompter{ctx: ctx, in: bufio.NewReader(in), out: out}
	if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		p.fd, p.tty = f.Fd(), true
	}
	return p
}

func (p *linePrompter) Say(text string) { fmt.Fprintln(p.out, text) }

// await runs read, the blocking read of one answer, and returns early with
// ctx's error when ctx ends first: the read is left behind, and the
// process ends.
func (p *linePrompter) await(read func() (string, error)) (string, error) {
	if err := p.ctx.Err(); err != nil {
		return "", err // no read is started that would outlive the wait
	}
	type answer struct {
		s   string
		err error
	}
	got := make(chan answer, 1)
	go func() {
		s, err := read()
		got <- answer{s, err}
	}()
	select {
	case a := <-got:
		return a.s, a.err
	case <-p.ctx.Done():
		fmt.Fprintln(p.out)
		return "", p.ctx.Err()
	}
}

// Confirm asks question on out and reports whether the line read from in
// is "yes"; input that ends first is no. A ctx that ends while it waits (a
// Ctrl-C or SIGTERM) ends the wait at once with ctx's error, and one ended
// already asks nothing.
func Confirm(ctx context.Context, in io.Reader, out io.Writer, question string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p := newLinePrompter(ctx, in, out)
	fmt.Fprint(out, question)
	s, err := p.await(func() (string, error) { return p.in.ReadString('\n') })
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	return strings.TrimSpace(strings.ToLower(s)) == "yes", nil
}

func (p *linePrompter) line() (string, error) {
	s, err := p.await(func() (string, error) { return p.in.ReadString('\n') })
	if p.ctx.Err() != nil {
		return "", p.ctx.Err()
	}
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("the input ended before the setup was finished: %w", io.ErrUnexpectedEOF)
		}
		return "", err
	}
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "b", "back":
		return "", errBack
	case "q", "quit":
		return "", errQuit
	}
	return s, nil
}

func (p *linePrompter) heading(title, help string) {
	fmt.Fprintln(p.out)
	fmt.Fprintln(p.out, title)
	if help != "" {
		fmt.Fprintln(p.out, help)
	}
}

func (p *linePrompter) Select(title, help string, options []string, def int) (int, error) {
	p.heading(title, help)
	for i, o := range options {
		mark := ""
		if i == def {
			mark = " (default)"
		}
		fmt.Fprintf(p.out, "  %d. %s%s\n", i+1, o, mark)
	}
	for {
		fmt.Fprintf(p.out, "Type a number from 1 to %d and press Enter [%d] (b: back, q: quit): ", len(options), def+1)
		s, err := p.line()
		if err != nil {
			return 0, err
		}
		if s == "" {
			return def, nil
		}
		n, err := strconv.Atoi(s)
		if err == nil && n >= 1 && n <= len(options) {
			return n - 1, nil
		}
		fmt.Fprintf(p.out, "%q is not one of the numbers 1 to %d.\n", s, len(options))
	}
}

func (p *linePrompter) Confirm(title, help string, def bool) (bool, error) {
	p.heading(title, help)
	d := "y/N"
	if def {
		d = "Y/n"
	}
	for {
		fmt.Fprintf(p.out, "Type y or n and press Enter [%s] (b: back, q: quit): ", d)
		s, err := p.line()
		if err != nil {
			return false, err
		}
		switch strings.ToLower(s) {
		case "":
			return def, nil
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		fmt.Fprintln(p.out, "Please type y or n.")
	}
}

func (p *linePrompter) Input(title, help string) (string, error) {
	p.heading(title, help)
	fmt.Fprint(p.out, "> ")
	return p.line()
}

func (p *linePrompter) Secret(title, help string) (string, error) {
	p.heading(title, help)
	fmt.Fprint(p.out, "> ")
	if !p.tty {
		return p.line()
	}
	// Echo is off while the key is read: a wait ended by a signal turns it
	// back on, since the read that would have is left behind.
	state, err := term.GetState(p.fd)
	if err != nil {
		return "", fmt.Errorf("reading the key: %w", err)
	}
	b, err := p.await(func() (string, error) {
		b, err := term.ReadPassword(p.fd)
		return string(b), err
	})
	if p.ctx.Err() != nil {
		_ = term.Restore(p.fd, state)
		return "", p.ctx.Err()
	}
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("reading the key: %w", err)
	}
	s := strings.TrimSpace(b)
	switch strings.ToLower(s) {
	case "b", "back":
		return "", errBack
	case "q", "quit":
		return "", errQuit
	}
	return s, nil
}
