package safehttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge is returned (wrapped) by ReadBody when a body exceeds the cap.
var ErrTooLarge = errors.New("response body exceeds the size cap")

// ReadBody reads and closes resp.Body, failing with ErrTooLarge as soon as the body is
// known to exceed max bytes (from Content-Length, or after reading max+1 bytes), so an
// oversize answer never sits whole in memory. max <= 0 means DefaultMaxBodyBytes.
func ReadBody(resp *http.Response, max int64) ([]byte, error) {
	defer resp.Body.Close()
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: %d bytes announced, the cap is %d", ErrTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}
