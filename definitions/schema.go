package definitions

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema of the definition language (schema.json), for
// editors and GET /v1/definitions/schema.json.
func Schema() []byte { return schemaJSON }
