package lever

import (
	"fmt"
	"log/slog"
	"strings"
)

// APIKey holds a Lever API key. Every way of printing it (String, GoString,
// %v, %+v, %#v, %q, %x, slog, JSON) prints a mask, so a key cannot leak
// through a log line or an error by accident. Only Reveal returns the secret,
// and only the client's Authorization header and the credential store call it.
type APIKey struct{ secret string }

const keyMask = "[redacted key]"

// NewAPIKey trims surrounding white space (pasted keys often carry a newline).
func NewAPIKey(s string) APIKey { return APIKey{secret: strings.TrimSpace(s)} }

// Reveal returns the secret itself. Callers must not print or store it
// anywhere but the Authorization header and the credential store.
func (k APIKey) Reveal() string { return k.secret }

// IsZero reports whether no key is set.
func (k APIKey) IsZero() bool { return k.secret == "" }

func (k APIKey) String() string   { return k.mask() }
func (k APIKey) GoString() string { return "lever.APIKey{" + k.mask() + "}" }

// LogValue keeps slog from printing the secret.
func (k APIKey) LogValue() slog.Value { return slog.StringValue(k.mask()) }

// Format makes every fmt verb print the mask.
func (k APIKey) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, k.GoString())
		return
	}
	fmt.Fprint(f, k.mask())
}

// MarshalText keeps encoders from writing the secret.
func (k APIKey) MarshalText() ([]byte, error) { return []byte(k.mask()), nil }

func (k APIKey) mask() string {
	if k.secret == "" {
		return "[no key]"
	}
	return keyMask
}
