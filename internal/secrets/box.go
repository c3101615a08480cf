// Package secrets provides Handoff's secrets by name: validating names, sealing values
// with AES-256-GCM for storage in Postgres, and resolving a name to its value inside an
// activity (the environment first, then the store). Values never leave this package's
// callers except on the wire to the integration that needs them.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of the key in bytes (AES-256).
const KeySize = 32

var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// ValidName reports whether name is a valid secret name: a letter, then up to 63
// letters, digits, underscores or dashes.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// NameRule says what a valid name is, for error messages.
const NameRule = "must be a letter followed by up to 63 letters, digits, underscores or dashes"

// Box seals and opens secret values. It is safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) key of KeySize bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key is %d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("the key is not base64")
}

// NewKey returns a fresh random key, base64-encoded.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program on an unusable source
	return base64.StdEncoding.EncodeToString(b)
}

// NewBox returns a Box for a KeySize key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create gcm: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts the value of the secret name. The name is authenticated too, so a
// ciphertext copied to another name does not open.
func (b *Box) Seal(name string, value []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(value)+b.aead.Overhead())
	_, _ = rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, value, []byte(name))
}

// Open decrypts what Seal returned for name.
func (b *Box) Open(name string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, fmt.Errorf("open secret %s: ciphertext too short", name)
	}
	v, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("open secret %s: wrong key or tampered value", name)
	}
	return v, nil
}
