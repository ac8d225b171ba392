package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/secrets"
)

func (s *section) secrets() {
	c := secrets.NewClient(s.r.p.Client)
	var res secrets.Response
	err := s.call("SecretProvider.GetSecret", func(ctx context.Context) (err error) {
		res, err = c.GetSecret(ctx, secrets.Request{SecretName: probeName(), ServiceName: ProbePrefix + "service"})
		return err
	})
	var ae *plugins.AnswerError
	switch {
	case s.unanswered("get-missing", err):
		s.set("error-text", Skip, "no answer")
		return
	case errors.As(err, &ae):
		s.set("get-missing", Pass, describe(err))
		if strings.Contains(ae.Message, "%") {
			s.set("error-text", Warn, fmt.Sprintf("Err %q", ae.Message))
		} else {
			s.set("error-text", Pass, fmt.Sprintf("Err %q", ae.Message))
		}
		return
	case err != nil:
		s.set("get-missing", Pass, describe(err))
	case len(res.Value) == 0:
		s.set("get-missing", Warn, "200 with neither a value nor Err")
	case len(res.Value) >= secrets.MaxValueSize:
		s.set("get-missing", Fail, fmt.Sprintf("a value of %d bytes", len(res.Value)))
	default:
		s.set("get-missing", Pass, fmt.Sprintf("a value of %d bytes", len(res.Value)))
	}
	s.set("error-text", Pass, "no error in a 200 answer")
}
