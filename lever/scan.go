package lever

import (
	"strings"
	"unicode/utf8"
)

// A small validating JSON scanner for the two shapes the sync reads in bulk:
// Lever's list envelope and the top-level keys of a record. It walks the
// bytes once, without reflection or allocation per value, and gives up (ok
// false) on anything unusual (an escaped key or id, a value of an
// unexpected type); the callers then fall back to encoding/json, which
// decides and words the error. So the scanner only needs to be right when it
// says ok; the fuzz tests compare both paths.

// scanner reads JSON from b starting at i.
type scanner struct {
	b []byte
	i int
	// depth counts the objects and arrays value is inside.
	depth int
}

// MaxNesting is how deep a record's objects and arrays are read: as deep
// as encoding/json does, which refuses deeper ones. Each level is a frame
// of the scanner's recursion, so a page of a few MB of brackets would
// otherwise exhaust the stack; what reads stored records (the store's
// personal-text scan) reads as deep, so that every record a sync stores
// can be read again.
const MaxNesting = 10_000

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.space()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect consumes c after white space.
func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// value skips one value, checking its syntax.
func (s *scanner) value() bool {
	switch c := s.peek(); c {
	case '{', '[':
		if s.depth == MaxNesting {
			return false
		}
		s.depth++
		ok := s.container(c)
		s.depth--
		return ok
	case '"':
		return s.str()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// container skips the object or array that opens with c.
func (s *scanner) container(c byte) bool {
	if c == '{' {
		s.i++
		if s.expect('}') {
			return true
		}
		for {
			if s.peek() != '"' || !s.str() || !s.expect(':') || !s.value() {
				return false
			}
			if s.expect(',') {
				continue
			}
			return s.expect('}')
		}
	}
	s.i++
	if s.expect(']') {
		return true
	}
	for {
		if !s.value() {
			return false
		}
		if s.expect(',') {
			continue
		}
		return s.expect(']')
	}
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// str skips a string at s.i (which is '"').
func (s *scanner) str() bool {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

// plainStr reads a string without escapes and returns its content; ok is
// false for anything else, escapes included.
func (s *scanner) plainStr() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(s.b[start:j]) {
				return "", false // encoding/json would replace the bad bytes
			}
			s.i = j + 1
			return string(s.b[start:j]), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	s.i = i
	return true
}

// span skips one value and returns its bytes.
func (s *scanner) span() ([]byte, bool) {
	s.space()
	start := s.i
	if !s.value() {
		return nil, false
	}
	return s.b[start:s.i:s.i], true
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// foldsTo reports whether key matches one of names only when case is
// ignored: encoding/json would take it for that field, so the fast path
// must not skip it.
func foldsTo(key string, names ...string) bool {
	for _, n := range names {
		if len(key) >= len(n)-1 && len(key) <= 2*len(n) && strings.EqualFold(key, n) {
			return true
		}
	}
	return false
}

// object calls field for each key of the object at s.i, with the scanner
// placed at the key's value; field must consume the value. Keys with
// escapes are refused.
func (s *scanner) object(field func(key string) bool) bool {
	if !s.expect('{') {
		return false
	}
	if s.expect('}') {
		return true
	}
	for {
		key, ok := s.plainStr()
		if !ok || !s.expect(':') || !field(key) {
			return false
		}
		if s.expect(',') {
			continue
		}
		return s.expect('}')
	}
}

// array calls elem for each element of the array at s.i, with the scanner
// placed at the element; elem must consume it.
func (s *scanner) array(elem func() bool) bool {
	if !s.expect('[') {
		return false
	}
	if s.expect(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.expect(',') {
			continue
		}
		return s.expect(']')
	}
}
