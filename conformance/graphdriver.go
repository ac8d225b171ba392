package conformance

import (
	"context"

	"github.com/go-dockerplugins/plugins/graphdriver"
)

func (s *section) graphDriver() {
	c := graphdriver.NewClient(s.r.p.Client)
	var caps graphdriver.Capabilities
	err := s.call("GraphDriver.Capabilities", func(ctx context.Context) (err error) {
		caps, err = c.Capabilities(ctx)
		return err
	})
	switch {
	case s.unanswered("capabilities", err):
	case err != nil:
		s.set("capabilities", Fail, describe(err)+s.refusedBody("GraphDriver.Capabilities"))
	case caps.ReproducesExactDiffs:
		s.set("capabilities", Pass, "ReproducesExactDiffs")
	default:
		s.set("capabilities", Pass, "none")
	}
}
