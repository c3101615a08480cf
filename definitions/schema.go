package definitions

import _ "embed"

// Schema is the JSON Schema of the definition language, for editors and for
// GET /v1/definitions/schema.json. A test keeps it in step with the parser.
//
//go:embed schema.json
var Schema []byte
