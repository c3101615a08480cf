package encryption

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func key(b byte, n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, n)) }

func TestParseKeys(t *testing.T) {
	tests := []struct {
		name, spec string
		ids        []string
		err        string
	}{
		{"one", "k1:" + key(1, 32), []string{"k1"}, ""},
		{"two with spaces", " new:" + key(1, 32) + " , old:" + key(2, 16), []string{"new", "old"}, ""},
		{"no id", ":" + key(1, 32), nil, "want id:base64key"},
		{"no colon", key(1, 32), nil, "want id:base64key"},
		{"bad base64", "k1:%%%", nil, "not standard base64"},
		{"short key", "k1:" + key(1, 10), nil, "10 bytes"},
		{"duplicate id", "k1:" + key(1, 32) + ",k1:" + key(2, 32), nil, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseKeys(tt.spec)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.NotContains(t, err.Error(), key(1, 32), "errors never echo key material")
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, k := range keys {
				ids = append(ids, k.ID)
			}
			require.Equal(t, tt.ids, ids)
		})
	}
}

func TestCodecRoundTripAndRotation(t *testing.T) {
	oldKeys, err := ParseKeys("old:" + key(2, 32))
	require.NoError(t, err)
	oldCodec, err := NewCodec(oldKeys)
	require.NoError(t, err)
	rotated, err := ParseKeys("new:" + key(1, 32) + ",old:" + key(2, 32))
	require.NoError(t, err)
	codec, err := NewCodec(rotated)
	require.NoError(t, err)

	dc := codec.DataConverter()
	p, err := dc.ToPayload(map[string]any{"salary": "PLANTED-4711"})
	require.NoError(t, err)
	require.Equal(t, Encoding, string(p.Metadata[converter.MetadataEncoding]))
	require.Equal(t, "new", string(p.Metadata[MetadataKeyID]), "the first key encrypts")
	require.NotContains(t, string(p.Data), "PLANTED-4711")
	var got map[string]any
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, "PLANTED-4711", got["salary"])

	// A payload written before the rotation still decrypts.
	oldPayload, err := oldCodec.DataConverter().ToPayload("before rotation")
	require.NoError(t, err)
	var s string
	require.NoError(t, dc.FromPayload(oldPayload, &s))
	require.Equal(t, "before rotation", s)

	// Plain payloads pass through Decode untouched.
	plain, err := converter.GetDefaultDataConverter().ToPayload("plain")
	require.NoError(t, err)
	out, err := codec.Decode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Same(t, plain, out[0])
}

func TestCodecRefusesWhatItCannotTrust(t *testing.T) {
	keys, err := ParseKeys("k1:" + key(1, 32))
	require.NoError(t, err)
	codec, err := NewCodec(keys)
	require.NoError(t, err)
	enc, err := codec.Encode([]*commonpb.Payload{{Data: []byte(`"x"`)}})
	require.NoError(t, err)

	tampered := &commonpb.Payload{Metadata: enc[0].Metadata, Data: bytes.Clone(enc[0].Data)}
	tampered.Data[len(tampered.Data)-1] ^= 1
	relabelled := &commonpb.Payload{Metadata: map[string][]byte{
		converter.MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte("k2")}, Data: enc[0].Data}
	short := &commonpb.Payload{Metadata: enc[0].Metadata, Data: []byte{1, 2}}

	other, err := ParseKeys("k1:" + key(3, 32) + ",k2:" + key(1, 32))
	require.NoError(t, err)
	otherCodec, err := NewCodec(other)
	require.NoError(t, err)

	tests := []struct {
		name  string
		codec *Codec
		p     *commonpb.Payload
		err   string
	}{
		{"tampered ciphertext", codec, tampered, "message authentication failed"},
		{"unknown key id", codec, relabelled, `unknown encryption key id "k2"`},
		{"too short", codec, short, "too short"},
		{"wrong key under the same id", otherCodec, enc[0], "message authentication failed"},
		{"relabelled to another known key", otherCodec, relabelled, "message authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.codec.Decode([]*commonpb.Payload{tt.p})
			require.Error(t, err)
			require.True(t, strings.Contains(err.Error(), tt.err), err.Error())
		})
	}
}
