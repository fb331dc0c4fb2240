package steps

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	const key = "fakeleverReadOnly3Jd8Lw1Pq6Vn2Ks9Gx4Bz7Mc5Fy"
	cases := []struct {
		name, raw string
		want      error
	}{
		{"plain", key, nil},
		{"trailing newline", key + "\n", nil},
		{"pasted newlines become spaces", "  " + key + " \r\n ", nil},
		{"tabs", "\t" + key + "\t", nil},
		{"empty", "", ErrKeyEmpty},
		{"only white space", " \n\t ", ErrKeyEmpty},
		{"authorization header", "Authorization: Basic ZmFrZTo=", ErrKeyHeader},
		{"authorization header lower case", "authorization: " + key, ErrKeyHeader},
		{"basic value", "Basic ZmFrZWxldmVyOg==", ErrKeyBasic},
		{"bearer value", "Bearer " + key, ErrKeyBasic},
		{"url", "https://hire.lever.co/settings/integrations", ErrKeyURL},
		{"bare host path", "hire.lever.co/settings", ErrKeyURL},
		{"space inside", key[:10] + " " + key[10:], ErrKeySpaces},
		{"newline inside", key[:10] + "\n" + key[10:], ErrKeySpaces},
		{"two keys", key + " " + key, ErrKeySpaces},
		{"control character", key[:5] + "\x1b" + key[5:], ErrKeyBadSymbol},
		{"smart quotes", "“" + key + "”", ErrKeyBadSymbol},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ValidateKey(c.raw)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == nil {
				if got.Reveal() != key {
					t.Errorf("key not trimmed to the key itself (len %d)", len(got.Reveal()))
				}
				return
			}
			if !got.IsZero() {
				t.Error("a refused key was returned")
			}
			if strings.Contains(err.Error(), key[:12]) || strings.Contains(fmt.Sprint(err), "ZmFr") {
				t.Error("the error repeats the key")
			}
		})
	}
}

func TestPasteKeyErrorIsAStepError(t *testing.T) {
	s, k, err := AnswerPasteKey(at(StepPasteKey), "Basic abc")
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepPasteKey || s.Step != StepPasteKey || !k.IsZero() {
		t.Fatalf("got %v %v %s", err, k, s.Step)
	}
	enc, _ := s.Encode()
	if strings.Contains(string(enc), "abc") {
		t.Error("the pasted text reached the saved state")
	}
	s, k, err = AnswerPasteKey(at(StepPasteKey), "secretkey123\n")
	if err != nil || k.Reveal() != "secretkey123" {
		t.Fatalf("good key refused: %v", err)
	}
	enc, _ = s.Encode()
	if strings.Contains(string(enc), "secretkey123") {
		t.Error("the key reached the saved state")
	}
}
