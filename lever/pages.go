package lever

import (
	"context"
	"fmt"
	"iter"
	"net/url"
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
		seen := map[string]bool{}
		offset := start
		for {
			if err := ctx.Err(); err != nil {
				yield(Page{}, err)
				return
			}
			if offset != "" {
				seen[offset] = true
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
			if page.HasNext && seen[page.Next] {
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
