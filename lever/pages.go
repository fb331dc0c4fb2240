package lever

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"slices"
)

// Pages reads a list endpoint through l from the page token start ("" for
// the first page) to its end, following next until hasNext is false. It
// yields each page, and at most one error, after which it stops; it checks
// ctx before each request.
//
// A next token that is empty, or already used in this call, while hasNext
// is true yields ErrPaginationLoop instead of its page: a server whose
// tokens cycle (A -> B -> A) would otherwise be read for ever, and the
// page's token is not one to save. Each call is one pass: a caller that
// starts over after ErrInvalidOffset calls Pages again.
func Pages(ctx context.Context, l Lister, path string, query url.Values, start string) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		var seen tokenLoop
		offset := start
		for {
			if err := ctx.Err(); err != nil {
				yield(Page{}, err)
				return
			}
			if offset != "" {
				seen.add(offset)
			}
			page, err := l.ListPage(ctx, path, query, offset)
			if err != nil {
				yield(Page{}, err)
				return
			}
			if page.HasNext && page.Next == "" {
				yield(Page{}, fmt.Errorf("%w: GET %s said hasNext but gave no next token", ErrPaginationLoop, cleanPath(path)))
				return
			}
			if page.HasNext && seen.has(page.Next) {
				yield(Page{}, fmt.Errorf("%w: GET %s gave a next token it had already given", ErrPaginationLoop, cleanPath(path)))
				return
			}
			if !yield(page, nil) || !page.HasNext {
				return
			}
			offset = page.Next
		}
	}
}

// tokenLoop finds a repeated page token in bounded memory, however long
// the list: a token repeated within the last recentTokens is caught at
// once, a longer cycle by Brent's method within about twice its length.
type tokenLoop struct {
	recent [recentTokens]string
	n      int
	// saved is compared with every later token; it moves to the current
	// token each time lam reaches power, which doubles.
	saved      string
	power, lam int
}

const recentTokens = 16

func (t *tokenLoop) has(tok string) bool {
	if tok == t.saved && tok != "" {
		return true
	}
	return slices.Contains(t.recent[:min(t.n, recentTokens)], tok)
}

func (t *tokenLoop) add(tok string) {
	t.recent[t.n%recentTokens] = tok
	t.n++
	if t.power == 0 {
		t.power = 1
	}
	if t.lam++; t.lam >= t.power {
		t.saved, t.power, t.lam = tok, 2*t.power, 0
	}
}
