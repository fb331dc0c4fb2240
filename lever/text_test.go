package lever

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	cases := map[string]string{
		"Not Found":                                  "Not Found",
		"\x1b]0;pwned\x07Forbidden":                  "Forbidden",
		"\x1b]2;title\x1b\\after":                    "after",
		"\x1b[2J\x1b[HCleared":                       "Cleared",
		"\x1b[38;5;196mred\x1b[0m":                   "red",
		"bell\a and backspace\b":                     "bell and backspace",
		"two\nlines\r\tand tab":                      "two lines  and tab",
		"\u009b2Jc1 csi":                             "c1 csi",
		"\u009d0;c1 title\u009cok":                   "ok",
		"\x1bPdevice control\x1b\\x":                 "x",
		"\x1b(Bcharset":                              "charset",
		"\x1b7saved\x1b8":                            "saved",
		"Ann\u202eeno\u202c Lee":                     "Anneno Lee",
		"Zoë Çelik, 東京":                              "Zoë Çelik, 東京",
		"bad \xff utf8":                              "bad \ufffd utf8",
		"unterminated \x1b]0;title":                  "unterminated ",
		"trailing escape \x1b":                       "trailing escape ",
		"\x1b[" + strings.Repeat("1;", 50) + "mlong": "long",
	}
	for in, want := range cases {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPlainText: whatever the network sends, the result holds no control
// character, no escape and no bidirectional override, is valid UTF-8, and
// cleaning it again changes nothing.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"Forbidden", "\x1b]0;x\x07y", "\x1b[2J", "\u009b31m", "a\u202eb", "\xff\xfe", "\x1b", "\x1b[", "\x1bP\x1b\\", "\u0085\u200f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := PlainText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("PlainText(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || isBidiControl(r) {
				t.Fatalf("PlainText(%q) = %q keeps %U", s, got, r)
			}
		}
		if again := PlainText(got); again != got {
			t.Fatalf("PlainText is not idempotent: %q -> %q -> %q", s, got, again)
		}
		if isPlainASCII(s) && got != s {
			t.Fatalf("PlainText changed printable ASCII %q to %q", s, got)
		}
	})
}
