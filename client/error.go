package client

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/wire"
)

// decodeError turns a non-2xx response into a *keyhold.Error, whatever its
// body: the code of its status, the problem's invalid parameters as
// fields, its title, status, detail and request id in the message (see
// wire.Problem.Err), and the wait of a Retry-After header.
func decodeError(res *http.Response, raw []byte) *keyhold.Error {
	var p wire.Problem
	if json.Unmarshal(raw, &p) != nil || p.Title == "" {
		p = wire.Problem{Title: http.StatusText(res.StatusCode)}
	}
	p.Status = res.StatusCode
	e := p.Err()
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}
