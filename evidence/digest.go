package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// CanonicalForm names the serialisation Digest hashes; it is recorded in evidence
// so that a later change of form is detectable rather than a silent mismatch.
const CanonicalForm = "handoff-history-v1"

// Canonical serialises history events in CanonicalForm: each event as protojson
// (lowerCamelCase field names, enums by name, 64-bit integers as strings, bytes as
// base64, unset fields omitted), re-encoded as JSON with object keys sorted by
// byte value, no insignificant whitespace and no HTML escaping; one event per line,
// each line ending with "\n". Payloads are hashed as stored, i.e. still encrypted
// when an encryption codec is on, so the digest needs no keys.
//
// protojson's own output is deliberately unstable (it varies whitespace between
// builds), which is why it is re-encoded.
func Canonical(events []*historypb.HistoryEvent) ([]byte, error) {
	var buf bytes.Buffer
	for _, ev := range events {
		line, err := canonicalEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("canonicalise event %d: %w", ev.GetEventId(), err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func canonicalEvent(ev *historypb.HistoryEvent) ([]byte, error) {
	raw, err := protojson.Marshal(ev)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers keep their exact text
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // encoding/json sorts map keys
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// Digest is "sha256:<hex>" over Canonical(events).
func Digest(events []*historypb.HistoryEvent) (string, error) {
	b, err := Canonical(events)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// sourceHash is how a definition's hash is computed from its source (as
// definitions.Compile does): "sha256:<hex>" over the source bytes.
func sourceHash(source string) string {
	sum := sha256.Sum256([]byte(source))
	return "sha256:" + hex.EncodeToString(sum[:])
}
