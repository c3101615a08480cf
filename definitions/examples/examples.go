// Package examples embeds the shipped example definitions (definitions/examples/*.yaml),
// so that the binary can offer them: the web editor starts a new definition from one.
package examples

import "embed"

// FS holds the examples, one YAML file each, at its file name.
//
//go:embed *.yaml
var FS embed.FS
