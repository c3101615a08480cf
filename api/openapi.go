package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI is the OpenAPI 3.1 document of this API, served at GET /openapi.yaml. Tests
// keep it true: every route is documented and responses conform to it.
//
//go:embed openapi.yaml
var openAPI []byte

// openAPIDocument serves the OpenAPI document; no key is needed.
func (s *Server) openAPIDocument(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPI)
}
