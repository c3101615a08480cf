package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"
)

// contract sends requests to a stack and fails the test unless each request and its
// response conform to the OpenAPI document the stack serves at /openapi.yaml.
type contract struct {
	t      *testing.T
	s      *stack
	router routers.Router
}

// newContract loads the served document. Its object schemas are closed for the test
// (additionalProperties: false where they say nothing), so that a field the API
// answers but the document does not list fails too.
func newContract(t *testing.T, s *stack) *contract {
	t.Helper()
	res, err := http.Get(s.url + "/openapi.yaml")
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	closeSchemas(doc)
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &contract{t: t, s: s, router: router}
}

// closeSchemas sets additionalProperties: false on every object schema of the document
// that lists properties and says nothing about others.
func closeSchemas(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
		for _, p := range s.Properties {
			walk(p)
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, sub := range group {
				walk(sub)
			}
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
	}
	for _, ref := range doc.Components.Schemas {
		walk(ref)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, res := range op.Responses.Map() {
				for _, mt := range res.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
}

// call sends a request as user ("" sends no key, an unknown name sends it as a bogus
// key) with headers as name/value pairs, validates the request and the response, and
// returns the response. A JSON body is sent as application/json unless a header says
// otherwise. A request without a key to an operation that needs one must be refused
// by the document's security too.
func (c *contract) call(user, method, path string, body any, headers ...string) response {
	c.t.Helper()
	return c.send(true, user, method, path, body, headers...)
}

// refused is call for a request that breaks the document (a value out of its schema):
// the document must refuse it, and the server's answer must conform.
func (c *contract) refused(user, method, path string, body any, headers ...string) response {
	c.t.Helper()
	return c.send(false, user, method, path, body, headers...)
}

func (c *contract) send(conforms bool, user, method, path string, body any, headers ...string) response {
	c.t.Helper()
	raw, contentType := encodeBody(c.t, body)
	newRequest := func() *http.Request {
		req, err := http.NewRequest(method, c.s.url+path, bytes.NewReader(raw))
		require.NoError(c.t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if user != "" {
			key, ok := c.s.keys[user]
			if !ok {
				key = user
			}
			req.Header.Set("Authorization", "Bearer "+key)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return req
	}

	route, params, err := c.router.FindRoute(newRequest())
	require.NoError(c.t, err, "%s %s is documented", method, path)
	in := &openapi3filter.RequestValidationInput{Request: newRequest(), PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: checkCredentials}}
	err = openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case user == "" && needsKey(route):
		var secErr *openapi3filter.SecurityRequirementsError
		require.ErrorAs(c.t, err, &secErr, "%s %s without a key breaks the document's security", method, path)
	case !conforms:
		require.Error(c.t, err, "the document refuses the request %s %s", method, path)
	default:
		require.NoError(c.t, err, "the request %s %s conforms to the document", method, path)
	}

	res, err := http.DefaultClient.Do(newRequest())
	require.NoError(c.t, err)
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(got)
	require.NoError(c.t, openapi3filter.ValidateResponse(context.Background(), out),
		"the response to %s %s conforms to the document: %d %s", method, path, res.StatusCode, got)

	r := response{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Raw: string(got)}
	if len(got) > 0 && got[0] == '{' {
		require.NoError(c.t, json.Unmarshal(got, &r.Body), string(got))
	}
	return r
}

// encodeBody is a request body and its content type: strings and bytes as they are
// (the caller names their type), anything else as JSON.
func encodeBody(t *testing.T, body any) ([]byte, string) {
	switch b := body.(type) {
	case nil:
		return nil, ""
	case string:
		return []byte(b), ""
	case []byte:
		return b, ""
	}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return raw, "application/json"
}

// checkCredentials is the document's security as a client sees it: a Bearer key, or
// the codec cookie, is present (whether it is valid is the server's business).
func checkCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearerAuth":
		scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "Bearer") && key != "" {
			return nil
		}
	case "codecCookie":
		if ck, err := r.Cookie("handoff_codec_key"); err == nil && ck.Value != "" {
			return nil
		}
	}
	return fmt.Errorf("no %s credentials", in.SecuritySchemeName)
}

// needsKey reports whether the route's operation requires credentials.
func needsKey(route *routers.Route) bool {
	security := route.Spec.Security
	if route.Operation.Security != nil {
		security = *route.Operation.Security
	}
	return len(security) > 0 && !slices.ContainsFunc(security, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })
}
