// Package webhook signs and verifies Standard Webhooks (https://www.standardwebhooks.com):
// an HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<raw body>" carried in the
// webhook-signature header as space-separated "v1,<base64>" entries, with secrets
// written "whsec_<base64>".
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

const (
	// SecretPrefix starts every secret.
	SecretPrefix = "whsec_"
	// Tolerance is how far a timestamp may be from now, in either direction.
	Tolerance = 5 * time.Minute
	// MaxIDLength bounds the webhook-id header.
	MaxIDLength = 256
	// maxSignatures bounds how many signatures of one header are tried.
	maxSignatures = 16
	// secretBytes is the size of a generated secret (the specification asks for 24 to 64).
	secretBytes = 32
	// maxTimestampDigits keeps ParseInt and time arithmetic far from overflow.
	maxTimestampDigits = 12
)

// ErrInvalid is every verification failure. Callers answer it without saying which check
// failed, so a forger learns nothing from the answer.
var ErrInvalid = errors.New("signature invalid or stale")

// Delivery is what the headers of a delivery say.
type Delivery struct {
	ID        string
	Timestamp time.Time
	// Signatures are the decoded v1 signatures; entries of other versions are skipped.
	Signatures [][]byte
}

// ParseHeaders reads the three headers of a delivery. The error says which header is
// wrong; it is for logs and tests, not for the sender.
func ParseHeaders(h http.Header) (Delivery, error) {
	var d Delivery
	d.ID = h.Get(HeaderID)
	if d.ID == "" || len(d.ID) > MaxIDLength || !printable(d.ID) {
		return d, fmt.Errorf("%s must be 1 to %d printable characters", HeaderID, MaxIDLength)
	}
	ts, err := ParseTimestamp(h.Get(HeaderTimestamp))
	if err != nil {
		return d, err
	}
	d.Timestamp = ts
	d.Signatures = ParseSignatures(h.Get(HeaderSignature))
	if len(d.Signatures) == 0 {
		return d, fmt.Errorf("%s holds no v1 signature", HeaderSignature)
	}
	return d, nil
}

// ParseTimestamp reads webhook-timestamp: decimal seconds since the Unix epoch, digits only.
func ParseTimestamp(s string) (time.Time, error) {
	if s == "" || len(s) > maxTimestampDigits || strings.TrimLeft(s, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("%s must be seconds since the epoch", HeaderTimestamp)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", HeaderTimestamp, err)
	}
	return time.Unix(n, 0), nil
}

// ParseSignatures reads webhook-signature: space-separated "v1,<base64>" entries. It
// keeps the well-formed v1 entries (32-byte HMACs), at most 16 of them, and skips the rest.
func ParseSignatures(s string) [][]byte {
	var out [][]byte
	for _, entry := range strings.Fields(s) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		if out = append(out, b); len(out) == maxSignatures {
			break
		}
	}
	return out
}

// Verify checks a delivery against the raw body and the trigger's keys (several during a
// rotation): the timestamp within Tolerance of now, and any signature made by any key.
// Every comparison runs in constant time and every pair is compared.
func Verify(keys [][]byte, h http.Header, body []byte, now time.Time) (Delivery, error) {
	d, err := ParseHeaders(h)
	if err != nil {
		return d, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if skew := now.Sub(d.Timestamp); skew > Tolerance || skew < -Tolerance {
		return d, fmt.Errorf("%w: timestamp %s is outside %s of now", ErrInvalid, d.Timestamp.UTC().Format(time.RFC3339), Tolerance)
	}
	match := 0
	for _, key := range keys {
		want := mac(key, d.ID, d.Timestamp, body)
		for _, got := range d.Signatures {
			match |= subtle.ConstantTimeCompare(want, got)
		}
	}
	if match != 1 {
		return d, fmt.Errorf("%w: no signature matches", ErrInvalid)
	}
	return d, nil
}

// Sign returns the "v1,<base64>" signature of a delivery.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, ts, body))
}

func mac(key []byte, id string, ts time.Time, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte("."))
	h.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// NewSecret returns a fresh random secret, "whsec_" and the base64 of 32 bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program on an unusable source
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret returns the HMAC key of a "whsec_<base64>" secret.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("a secret starts with %q", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, errors.New("a secret is whsec_ and base64")
	}
	return key, nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
