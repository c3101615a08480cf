package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// CSVHeader is the first row WriteCSV writes.
var CSVHeader = []string{"at", "actor", "kind", "step", "task", "detail"}

// WriteCSV writes the events as CSV (RFC 4180): a header row, then one row per event
// with the time in RFC 3339 (UTC, nanoseconds) and the detail as compact JSON with
// sorted keys.
func WriteCSV(w io.Writer, events []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	for _, e := range events {
		detail, err := compactJSON(e.Detail)
		if err != nil {
			return fmt.Errorf("encode detail of %s at %s: %w", e.Kind, e.At, err)
		}
		row := []string{e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Kind, e.Step, e.Task, detail}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv row: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// compactJSON encodes v without whitespace or HTML escaping (map keys are sorted).
func compactJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}
