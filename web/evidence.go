package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/handoffhq/handoff/evidence"
)

// The auditor's page: a run's evidence (RunEvidence: the definition version and hash,
// every action of the audit trail, the history digest), checked against the run's
// history in Temporal as it is now (VerifyEvidence, what `handoff evidence verify`
// does), and the same document as a download that command accepts.

type evidenceView struct {
	Ev       *evidence.Evidence
	Actions  []evidenceAction
	Verified bool
	Problems []string
}

type evidenceAction struct {
	At                      string
	Actor, Kind, Step, What string
}

func (s *Server) evidencePage(c echo.Context) error {
	me, ctx := user(c), c.Request().Context()
	ev, err := s.api.RunEvidence(ctx, me, c.Param("id"))
	if err != nil {
		return err
	}
	v := evidenceView{Ev: ev}
	err = s.api.VerifyEvidence(ctx, me, ev)
	var mismatch *evidence.MismatchError
	switch {
	case errors.As(err, &mismatch):
		v.Problems = mismatch.Problems
	case err != nil:
		return err
	default:
		v.Verified = true
	}
	zone := zone(c)
	for _, e := range ev.Audit.Events {
		v.Actions = append(v.Actions, evidenceAction{At: when(e.At, zone), Actor: e.Actor, Kind: e.Kind, Step: e.Step, What: detailText(e.Detail)})
	}
	return s.render(c, http.StatusOK, "evidence", "", view{Title: "Evidence of " + ev.RunID, Page: v})
}

// detailText writes an audit event's detail as "key: value" pairs, by key.
func detailText(d map[string]any) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		val := d[k]
		var text string
		if s, ok := val.(string); ok {
			text = s
		} else {
			b, _ := json.Marshal(val)
			text = string(b)
		}
		parts = append(parts, k+": "+text)
	}
	return strings.Join(parts, "; ")
}

// evidenceDownload answers the evidence document, the API's JSON, as a file.
func (s *Server) evidenceDownload(c echo.Context) error {
	ev, err := s.api.RunEvidence(c.Request().Context(), user(c), c.Param("id"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", ev.RunID+"-evidence.json"))
	h.Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, "application/json", append(b, '\n'))
}
