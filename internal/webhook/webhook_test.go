package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// The published test vector of the Standard Webhooks libraries.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestSignMatchesTheVector(t *testing.T) {
	t.Parallel()
	key, err := ParseSecret(vectorSecret)
	require.NoError(t, err)
	require.Equal(t, vectorSignature, Sign(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody)))
}

func TestVerifyAcceptsTheReferenceLibrary(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	ref, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	now := time.Now()
	body := []byte(`{"candidate":{"id":"c-1"}}`)
	sig, err := ref.Sign("msg_1", now, body)
	require.NoError(t, err)
	key, err := ParseSecret(secret)
	require.NoError(t, err)

	d, err := Verify([][]byte{key}, headers("msg_1", now.Unix(), sig), body, now)
	require.NoError(t, err)
	require.Equal(t, "msg_1", d.ID)

	// And the reference library accepts what Sign makes.
	require.NoError(t, ref.Verify(body, headers("msg_2", now.Unix(), Sign(key, "msg_2", now, body))))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	oldKey, newKey, otherKey := []byte("old-key-0123456789"), []byte("new-key-0123456789"), []byte("someone-else")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a": 1}`)
	sign := func(key []byte, ts time.Time) string { return Sign(key, "msg_x", ts, body) }

	tests := []struct {
		name string
		keys [][]byte
		h    http.Header
		body []byte
		ok   bool
	}{
		{"signed by the only key", [][]byte{oldKey}, headers("msg_x", now.Unix(), sign(oldKey, now)), body, true},
		{"signed by the new key during rotation", [][]byte{oldKey, newKey}, headers("msg_x", now.Unix(), sign(newKey, now)), body, true},
		{"signed by the old key during rotation", [][]byte{oldKey, newKey}, headers("msg_x", now.Unix(), sign(oldKey, now)), body, true},
		{"one good signature among several", [][]byte{newKey},
			headers("msg_x", now.Unix(), "v1a,abc "+sign(otherKey, now)+" "+sign(newKey, now)), body, true},
		{"at the edge of the past tolerance", [][]byte{oldKey}, headers("msg_x", now.Add(-Tolerance).Unix(), sign(oldKey, now.Add(-Tolerance))), body, true},
		{"at the edge of the future tolerance", [][]byte{oldKey}, headers("msg_x", now.Add(Tolerance).Unix(), sign(oldKey, now.Add(Tolerance))), body, true},
		{"forged", [][]byte{oldKey}, headers("msg_x", now.Unix(), sign(otherKey, now)), body, false},
		{"old key after rotation", [][]byte{newKey}, headers("msg_x", now.Unix(), sign(oldKey, now)), body, false},
		{"no keys", nil, headers("msg_x", now.Unix(), sign(oldKey, now)), body, false},
		{"stale", [][]byte{oldKey}, headers("msg_x", now.Add(-Tolerance-time.Second).Unix(), sign(oldKey, now.Add(-Tolerance-time.Second))), body, false},
		{"future", [][]byte{oldKey}, headers("msg_x", now.Add(Tolerance+time.Second).Unix(), sign(oldKey, now.Add(Tolerance+time.Second))), body, false},
		{"re-serialised body", [][]byte{oldKey}, headers("msg_x", now.Unix(), sign(oldKey, now)), []byte(`{"a":1}`), false},
		{"another id", [][]byte{oldKey}, headers("msg_y", now.Unix(), sign(oldKey, now)), body, false},
		{"timestamp changed", [][]byte{oldKey}, headers("msg_x", now.Unix()+1, sign(oldKey, now)), body, false},
		{"unknown version only", [][]byte{oldKey}, headers("msg_x", now.Unix(), "v2,"+strings.TrimPrefix(sign(oldKey, now), "v1,")), body, false},
		{"no signature header", [][]byte{oldKey}, headers("msg_x", now.Unix(), ""), body, false},
		{"no id", [][]byte{oldKey}, headers("", now.Unix(), sign(oldKey, now)), body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Verify(tc.keys, tc.h, tc.body, now)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "-1", "+1614265330", "1614265330.5", " 1614265330", "1e9", "9999999999999", "0x10"} {
		_, err := ParseTimestamp(bad)
		require.Error(t, err, bad)
	}
	ts, err := ParseTimestamp("1614265330")
	require.NoError(t, err)
	require.Equal(t, int64(1614265330), ts.Unix())
}

func TestParseSignatures(t *testing.T) {
	t.Parallel()
	good := strings.TrimPrefix(vectorSignature, "v1,")
	require.Len(t, ParseSignatures(vectorSignature), 1)
	require.Len(t, ParseSignatures("  v1,"+good+"   v1,"+good+" "), 2)
	require.Empty(t, ParseSignatures("v1,not-base64!"))
	require.Empty(t, ParseSignatures("v1,YWJj"), "a signature of the wrong length")
	require.Empty(t, ParseSignatures("v1a,"+good))
	require.Empty(t, ParseSignatures(good))
	require.Len(t, ParseSignatures(strings.Repeat(vectorSignature+" ", 100)), maxSignatures)
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	s := NewSecret()
	require.True(t, strings.HasPrefix(s, SecretPrefix))
	require.NotEqual(t, s, NewSecret())
	key, err := ParseSecret(s)
	require.NoError(t, err)
	require.Len(t, key, secretBytes)
	for _, bad := range []string{"", "whsec_", "whsec_!!", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		_, err := ParseSecret(bad)
		require.Error(t, err, bad)
	}
}

// FuzzParseHeaders feeds arbitrary header values to the parser and the verifier: they
// must never panic, and whatever they accept must be within the documented bounds.
func FuzzParseHeaders(f *testing.F) {
	f.Add(vectorID, strconv.Itoa(vectorTimestamp), vectorSignature, []byte(vectorBody))
	f.Add("msg_1", "0", "v1, v1,, ,v1 v1a,xyz", []byte{})
	f.Add("", "", "", []byte(nil))
	key := []byte("fuzz-key")
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		d, err := ParseHeaders(h)
		if err == nil {
			if d.ID == "" || len(d.ID) > MaxIDLength || len(d.Signatures) == 0 || len(d.Signatures) > maxSignatures {
				t.Fatalf("accepted out-of-bounds headers: %+v", d)
			}
		}
		now := time.Unix(vectorTimestamp, 0)
		if _, err := Verify([][]byte{key}, h, body, now); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("verify failed without ErrInvalid: %v", err)
		}
		// A signature made with the key over the same parts always verifies.
		if err == nil && d.Timestamp.Sub(now).Abs() <= Tolerance {
			h.Set(HeaderSignature, Sign(key, d.ID, d.Timestamp, body))
			if _, err := Verify([][]byte{key}, h, body, now); err != nil {
				t.Fatalf("own signature rejected: %v", err)
			}
		}
	})
}
