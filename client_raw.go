package plugins

import (
	"context"
	"fmt"
	"io"
)

// CallRaw calls serviceMethod with body sent as is (nil or empty: an empty
// body, as Call sends for nil arguments) and returns the answer's body
// undecoded, read to its end within the client's bound on answers (see
// WithMaxAnswerSize). It retries and fails like Call: an answer other than
// 200 is a *StatusError. Tools that relay calls use it, since Call always decodes
// JSON and Stream sends null for nil arguments.
func (c *Client) CallRaw(ctx context.Context, serviceMethod string, body []byte) (b []byte, err error) {
	var answer *respBody
	st := c.observe(ctx)
	if st != nil {
		defer func() { c.report(st, serviceMethod, st.sent(len(body)), answer, err) }()
	}
	o := c.opts()
	ctx, cancel := withTimeout(ctx, o.timeout)
	defer cancel()
	if answer, err = c.send(ctx, serviceMethod, bytesBody(body), o, st); err != nil {
		return nil, err
	}
	defer answer.finish()
	answer.limit = c.cfg.maxAnswer
	if b, err = io.ReadAll(answer); err != nil {
		return nil, c.answerErr(ctx, serviceMethod, fmt.Errorf("reading the answer: %w", err))
	}
	return b, nil
}
