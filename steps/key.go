package steps

import (
	"errors"
	"strings"
	"unicode"

	"github.com/leversync/leversync/lever"
)

// Mistakes ValidateKey catches before any request. The messages say what to
// do and never repeat the key.
var (
	ErrKeyEmpty     = errors.New("no key yet: paste the key you copied from Lever (your terminal's paste, e.g. ctrl+shift+v or cmd+v)")
	ErrKeyHeader    = errors.New(`that looks like a whole "Authorization:" header: paste only the key Lever showed you, without the header name`)
	ErrKeyBasic     = errors.New(`that looks like an encoded "Basic ..." header value: paste the key exactly as Lever showed it, not its Base64 form`)
	ErrKeyURL       = errors.New("that looks like a web address, not a key: copy the key from Lever's API Credentials page")
	ErrKeySpaces    = errors.New("the key has spaces inside, so extra text was probably copied with it: copy only the key (one word, no spaces)")
	ErrKeyBadSymbol = errors.New("the key contains characters a Lever key does not have: copy it again from Lever")
)

// ValidateKey cleans a pasted key (surrounding spaces and newlines; a
// terminal may turn pasted newlines into spaces) and rejects obvious
// mistakes before any request is made.
func ValidateKey(raw string) (lever.APIKey, error) {
	s := strings.TrimSpace(raw)
	lower := strings.ToLower(s)
	switch {
	case s == "":
		return lever.APIKey{}, ErrKeyEmpty
	case strings.HasPrefix(lower, "authorization:") || strings.HasPrefix(lower, "authorization "):
		return lever.APIKey{}, ErrKeyHeader
	case strings.HasPrefix(lower, "basic ") || strings.HasPrefix(lower, "bearer "):
		return lever.APIKey{}, ErrKeyBasic
	case strings.Contains(lower, "://") || strings.HasPrefix(lower, "www.") ||
		strings.Contains(lower, "lever.co/") || strings.HasSuffix(lower, ".lever.co"):
		return lever.APIKey{}, ErrKeyURL
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		return lever.APIKey{}, ErrKeySpaces
	case strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) >= 0:
		return lever.APIKey{}, ErrKeyBadSymbol
	}
	return lever.NewAPIKey(s), nil
}
