package main

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/converter"

	"github.com/handoffhq/handoff/encryption"
)

// defaultCodecCORSOrigin is Temporal Web of `handoff dev`, by either name the banner
// and browsers use.
const defaultCodecCORSOrigin = "http://localhost:8233,http://127.0.0.1:8233"

// Codec is the payload encryption codec HANDOFF_ENCRYPTION_KEYS asks for; nil when
// encryption is off. Errors never include key material.
func (c Config) Codec() (*encryption.Codec, error) {
	if c.EncryptionKeys == "" {
		return nil, nil
	}
	keys, err := encryption.ParseKeys(c.EncryptionKeys)
	if err != nil {
		return nil, fmt.Errorf("HANDOFF_ENCRYPTION_KEYS: %w", err)
	}
	codec, err := encryption.NewCodec(keys)
	if err != nil {
		return nil, fmt.Errorf("HANDOFF_ENCRYPTION_KEYS: %w", err)
	}
	return codec, nil
}

// DataConverter is the data converter of every Temporal client Handoff makes: the
// default one, encrypting payloads when a codec is configured.
func (c Config) DataConverter() (converter.DataConverter, error) {
	codec, err := c.Codec()
	if err != nil || codec == nil {
		return converter.GetDefaultDataConverter(), err
	}
	return codec.DataConverter(), nil
}

// CodecCORSOrigins splits HANDOFF_CODEC_CORS_ORIGIN (empty: the default).
func (c Config) CodecCORSOrigins() []string {
	spec := c.CodecCORSOrigin
	if spec == "" {
		spec = defaultCodecCORSOrigin
	}
	var out []string
	for _, o := range strings.Split(spec, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	return out
}
