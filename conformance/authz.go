package conformance

import (
	"context"
	"fmt"
	"net/http"

	"github.com/go-dockerplugins/plugins/authorization"
)

func (s *section) authz() {
	c := authorization.NewClient(s.r.p.Client)
	req := authorization.Request{RequestMethod: http.MethodGet, RequestURI: "/_ping", RequestHeaders: map[string]string{"User-Agent": "conformance"}}
	var allowedWithErr, deniedWithErr []string
	answers := 0
	ask := func(id, method string, call func(context.Context, authorization.Request) (authorization.Response, error), req authorization.Request) {
		var res authorization.Response
		err := s.call(method, func(ctx context.Context) (err error) {
			res, err = call(ctx, req)
			return err
		})
		switch {
		case s.unanswered(id, err):
			return
		case err != nil:
			s.set(id, Fail, describe(err))
			return
		}
		answers++
		verdict := "allowed"
		if !res.Allow {
			verdict = fmt.Sprintf("denied: %q", res.Msg)
		}
		s.set(id, Pass, verdict)
		switch {
		case res.Err != "" && res.Allow:
			allowedWithErr = append(allowedWithErr, fmt.Sprintf("%s: Allow true with Err %q", method, res.Err))
		case res.Err != "":
			deniedWithErr = append(deniedWithErr, fmt.Sprintf("%s: Allow false with Err %q", method, res.Err))
		}
	}
	ask("authz-req", "AuthZPlugin.AuthZReq", c.AuthZReq, req)
	req.ResponseStatusCode = http.StatusOK
	req.ResponseHeaders = map[string]string{"Content-Type": "text/plain; charset=utf-8"}
	ask("authz-res", "AuthZPlugin.AuthZRes", c.AuthZRes, req)

	switch {
	case len(allowedWithErr) > 0:
		s.set("error-key", Fail, joinIssues(append(allowedWithErr, deniedWithErr...)))
	case len(deniedWithErr) > 0:
		s.set("error-key", Warn, joinIssues(deniedWithErr))
	case answers == 0:
		s.set("error-key", Skip, "no 200 answer")
	default:
		s.set("error-key", Pass, plural(answers, "answer", "answers")+" without Err")
	}
}
