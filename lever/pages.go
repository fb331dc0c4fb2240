package lever

import (
	"context"
	"fmt"
	"iter"
	"net/url"
)

// Pages reads a list endpoint from the page token start ("" for the first
// page) to its end, following next until hasNext is false. It yields each
// page, and at most one error, after which it stops. A next token that is
// empty or already used while hasNext is true yields ErrPaginationLoop
// rather than reading the same pages for ever.
func (c *Client) Pages(ctx context.Context, path string, query url.Values, start string) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		seen := map[string]bool{}
		offset := start
		for {
			if offset != "" {
				seen[offset] = true
			}
			page, err := c.ListPage(ctx, path, query, offset)
			if err != nil {
				yield(Page{}, err)
				return
			}
			if !yield(page, nil) || !page.HasNext {
				return
			}
			if page.Next == "" {
				yield(Page{}, fmt.Errorf("%w: GET %s said hasNext but gave no next token", ErrPaginationLoop, cleanPath(path)))
				return
			}
			if seen[page.Next] {
				yield(Page{}, fmt.Errorf("%w: GET %s gave a next token it had already given", ErrPaginationLoop, cleanPath(path)))
				return
			}
			offset = page.Next
		}
	}
}
