package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/go-dockerplugins/plugins/logdriver"
)

func (s *section) logDriver() {
	c := logdriver.NewClient(s.r.p.Client)
	var caps logdriver.Capability
	err := s.call("LogDriver.Capabilities", func(ctx context.Context) (err error) {
		caps, err = c.Capabilities(ctx)
		return err
	})
	switch {
	case s.unanswered("capabilities", err):
	case err != nil:
		s.set("capabilities", Warn, describe(err)+s.refusedBody("LogDriver.Capabilities"))
	case !caps.ReadLogs && s.readLogsOutsideCap():
		s.set("capabilities", Fail, `{"ReadLogs": true}, outside Cap`)
	default:
		s.set("capabilities", Pass, fmt.Sprintf("ReadLogs %v", caps.ReadLogs))
	}
	if !caps.ReadLogs {
		s.set("read-logs", Skip, "Cap.ReadLogs is not set")
		return
	}

	entries := 0
	err = s.call("LogDriver.ReadLogs", func(ctx context.Context) error {
		info := logdriver.Info{ContainerID: randomHex(64), ContainerName: "/" + ProbePrefix + "container", DaemonName: "docker"}
		rc, err := c.ReadLogs(ctx, logdriver.ReadLogsRequest{Info: info, Config: logdriver.ReadConfig{Tail: -1}})
		if err != nil {
			return err
		}
		defer func() { _ = rc.Close() }() // read to its end or failed: nothing to act on
		r := logdriver.NewEntryReader(rc)
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return &entryError{err}
			}
			entries++
		}
	})
	var ee *entryError
	switch {
	case s.unanswered("read-logs", err):
	case errors.As(err, &ee):
		s.set("read-logs", Fail, fmt.Sprintf("after %s: %v", plural(entries, "entry", "entries"), ee.err))
	case err != nil:
		s.set("read-logs", Pass, describe(err))
	default:
		s.set("read-logs", Pass, plural(entries, "entry", "entries")+" read")
	}
}

// entryError is a stream of log entries that does not decode.
type entryError struct{ err error }

func (e *entryError) Error() string { return "error decoding log message: " + e.err.Error() }

// readLogsOutsideCap reports whether the answer to Capabilities that
// empty-args read says {"ReadLogs": true}, as the plugin documentation
// shows it.
func (s *section) readLogsOutsideCap() bool {
	var doc struct{ ReadLogs bool }
	return json.Unmarshal(s.engineAnswers["LogDriver.Capabilities"], &doc) == nil && doc.ReadLogs
}
