package plugins

import (
	"context"
	"fmt"
	"io"
)

// CallRaw calls serviceMethod with body sent as is (nil or empty: an empty
// body, as Call sends for nil arguments) and returns the answer's body
// undecoded. It retries and fails like Call: an answer other than 200 is a
// *StatusError. Tools that relay calls use it, since Call always decodes
// JSON and Stream sends null for nil arguments.
func (c *Client) CallRaw(ctx context.Context, serviceMethod string, body []byte) ([]byte, error) {
	ctx, cancel := withTimeout(ctx, c.cfg.callTimeout)
	defer cancel()
	resp, err := c.send(ctx, serviceMethod, bytesBody(body))
	if err != nil {
		return nil, err
	}
	defer drainAndClose(resp.Body)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.answerErr(ctx, serviceMethod, fmt.Errorf("reading the answer: %w", err))
	}
	return b, nil
}
