package conformance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/volume"
)

// volumeState is what the volume checks learnt of CreatedAt.
type volumeState struct {
	c *volume.Client
	// badCreatedAt lists the CreatedAt values that failed an answer;
	// createdAtSeen counts the answers whose volumes were read.
	badCreatedAt  []string
	createdAtSeen int
}

// badTime returns the text of the CreatedAt that failed err, if that is
// why it failed.
func badTime(err error) (string, bool) {
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return strconv.Quote(pe.Value), true
	}
	return "", false
}

func (s *section) volume() {
	v := &volumeState{c: volume.NewClient(s.r.p.Client)}

	var caps volume.CapabilitiesResponse
	err := s.call("VolumeDriver.Capabilities", func(ctx context.Context) (err error) {
		caps, err = v.c.Capabilities(ctx)
		return err
	})
	scope := caps.Capabilities.Scope
	switch lower := strings.ToLower(scope); {
	case s.unanswered("capabilities", err):
	case err != nil:
		s.set("capabilities", Warn, describe(err)+s.refusedBody("VolumeDriver.Capabilities"))
	case lower == "":
		s.set("capabilities", Pass, "no scope: local")
	case lower != volume.LocalScope && lower != volume.GlobalScope:
		s.set("capabilities", Warn, fmt.Sprintf("scope %q", scope))
	default:
		s.set("capabilities", Pass, "scope "+scope)
	}

	v.list(s)
	v.getMissing(s)
	if s.r.cfg.write {
		v.lifecycle(s)
	}
	switch {
	case len(v.badCreatedAt) > 0:
		s.set("created-at", Fail, "CreatedAt "+strings.Join(v.badCreatedAt, ", ")+" is not RFC 3339")
	case v.createdAtSeen > 0:
		s.set("created-at", Pass, plural(v.createdAtSeen, "answer", "answers")+" read")
	default:
		s.set("created-at", Skip, "no volume answer was read")
	}
}

// list judges List's answer: list, null-volumes and what it shows of
// created-at.
func (v *volumeState) list(s *section) {
	var ls volume.ListResponse
	err := s.call("VolumeDriver.List", func(ctx context.Context) (err error) {
		ls, err = v.c.List(ctx)
		return err
	})
	if t, ok := badTime(err); ok {
		v.badCreatedAt = append(v.badCreatedAt, t)
		s.set("list", Skip, "the answer does not decode only because of its CreatedAt (see created-at)")
		s.set("null-volumes", Skip, "the answer does not decode")
		return
	}
	if s.unanswered("list", err) {
		return
	}
	if err != nil {
		s.set("list", Fail, describe(err)+s.refusedBody("VolumeDriver.List"))
		s.set("null-volumes", Skip, "List failed")
		return
	}
	v.createdAtSeen++
	s.set("list", Pass, plural(len(ls.Volumes), "volume", "volumes"))
	var nulls []string
	for i, vol := range ls.Volumes {
		if vol == nil {
			nulls = append(nulls, strconv.Itoa(i))
		}
	}
	if len(nulls) > 0 {
		s.set("null-volumes", Fail, fmt.Sprintf("Volumes[%s] of %d null", strings.Join(nulls, ", "), len(ls.Volumes)))
	} else {
		s.set("null-volumes", Pass, "none")
	}
}

// getMissing asks for a volume that does not exist.
func (v *volumeState) getMissing(s *section) {
	name := probeName()
	var got volume.GetResponse
	err := s.call("VolumeDriver.Get", func(ctx context.Context) (err error) {
		got, err = v.c.Get(ctx, volume.GetRequest{Name: name})
		return err
	})
	if t, ok := badTime(err); ok {
		v.badCreatedAt = append(v.badCreatedAt, t)
		s.set("get-missing", Fail, "a volume, whose CreatedAt does not decode")
		return
	}
	switch {
	case s.unanswered("get-missing", err):
	case err != nil:
		s.set("get-missing", Pass, describe(err))
	case got.Volume == nil:
		v.createdAtSeen++
		s.set("get-missing", Pass, "a null Volume")
	default:
		v.createdAtSeen++
		s.set("get-missing", Fail, fmt.Sprintf("volume %q for %s, which does not exist", got.Volume.Name, name))
	}
}

// lifecycle creates, gets, lists, mounts, unmounts and removes a probe
// volume; clean-up then removes it again, whatever happened.
func (v *volumeState) lifecycle(s *section) {
	name, id := probeName(), randomHex(64)
	var created, mounted, unmounted, removed bool
	defer func() { v.cleanUp(s, name, id, created, mounted && !unmounted, removed) }()

	err := s.call("VolumeDriver.Create", func(ctx context.Context) error {
		return v.c.Create(ctx, volume.CreateRequest{Name: name})
	})
	created = !errors.Is(err, errNotCalled) // a create that failed may still have made it
	switch {
	case s.unanswered("create", err):
		s.skipRest("the probe volume was not created", "get", "listed", "mount", "path", "unmount", "remove")
		return
	case err != nil:
		s.set("create", Fail, describe(err))
		s.skipRest("the probe volume was not created", "get", "listed", "mount", "path", "unmount", "remove")
		return
	}
	s.set("create", Pass, name)

	var got volume.GetResponse
	err = s.call("VolumeDriver.Get", func(ctx context.Context) (err error) {
		got, err = v.c.Get(ctx, volume.GetRequest{Name: name})
		return err
	})
	t, badCreatedAt := badTime(err)
	switch {
	case badCreatedAt:
		v.badCreatedAt = append(v.badCreatedAt, t)
		s.set("get", Skip, "the answer does not decode only because of its CreatedAt (see created-at)")
	case s.unanswered("get", err):
	case err != nil:
		s.set("get", Fail, describe(err))
	case got.Volume == nil:
		v.createdAtSeen++
		s.set("get", Fail, "a null Volume")
	case got.Volume.Name != name:
		v.createdAtSeen++
		s.set("get", Fail, fmt.Sprintf("volume %q", got.Volume.Name))
	default:
		v.createdAtSeen++
		s.set("get", Pass, name)
	}

	var ls volume.ListResponse
	err = s.call("VolumeDriver.List", func(ctx context.Context) (err error) {
		ls, err = v.c.List(ctx)
		return err
	})
	switch {
	case s.unanswered("listed", err):
	case err != nil:
		s.set("listed", Skip, "List failed: "+describe(err))
	case listed(ls, name):
		s.set("listed", Pass, name)
	default:
		s.set("listed", Fail, plural(len(ls.Volumes), "volume", "volumes")+", not "+name)
	}

	var mp volume.MountResponse
	err = s.call("VolumeDriver.Mount", func(ctx context.Context) (err error) {
		mp, err = v.c.Mount(ctx, volume.MountRequest{Name: name, ID: id})
		return err
	})
	mounted = !errors.Is(err, errNotCalled)
	switch {
	case s.unanswered("mount", err):
	case err != nil:
		s.set("mount", Fail, describe(err))
	default:
		s.set("mount", Pass, "mountpoint "+strconv.Quote(mp.Mountpoint))
		v.mounted(s, name, id, &unmounted)
	}
	s.skipRest("not mounted", "path", "unmount")
	if mounted && !unmounted {
		// Remove would fail for it, as in the engine: clean-up tries again.
		s.set("remove", Skip, "the volume may still be mounted")
		return
	}

	err = s.call("VolumeDriver.Remove", func(ctx context.Context) error {
		return v.c.Remove(ctx, volume.RemoveRequest{Name: name})
	})
	switch {
	case s.unanswered("remove", err):
	case err != nil:
		s.set("remove", Fail, describe(err))
	default:
		removed = true
		s.set("remove", Pass, name)
	}
}

// mounted runs the checks of a mounted probe volume: path and unmount.
func (v *volumeState) mounted(s *section, name, id string, unmounted *bool) {
	var p volume.PathResponse
	err := s.call("VolumeDriver.Path", func(ctx context.Context) (err error) {
		p, err = v.c.Path(ctx, volume.PathRequest{Name: name})
		return err
	})
	switch {
	case s.unanswered("path", err):
	case err != nil:
		s.set("path", Warn, describe(err))
	default:
		s.set("path", Pass, "mountpoint "+strconv.Quote(p.Mountpoint))
	}
	err = s.call("VolumeDriver.Unmount", func(ctx context.Context) error {
		return v.c.Unmount(ctx, volume.UnmountRequest{Name: name, ID: id})
	})
	switch {
	case s.unanswered("unmount", err):
	case err != nil:
		s.set("unmount", Fail, describe(err))
	default:
		*unmounted = true
		s.set("unmount", Pass, name)
	}
}

func listed(ls volume.ListResponse, name string) bool {
	for _, v := range ls.Volumes {
		if v != nil && v.Name == name {
			return true
		}
	}
	return false
}

// cleanUp unmounts and removes the probe volume again, unless that
// succeeded already, then looks for it: it runs even when the run was
// interrupted, each call within its own bound.
func (v *volumeState) cleanUp(s *section, name, id string, created, unmount, removed bool) {
	if !created {
		s.set("left-behind", Pass, "nothing was created")
		return
	}
	c := cleanup{r: s.r}
	if unmount {
		_ = c.call("VolumeDriver.Unmount", func(ctx context.Context) error {
			return v.c.Unmount(ctx, volume.UnmountRequest{Name: name, ID: id})
		})
	}
	if !removed {
		_ = c.call("VolumeDriver.Remove", func(ctx context.Context) error {
			return v.c.Remove(ctx, volume.RemoveRequest{Name: name})
		})
	}
	var got volume.GetResponse
	getErr := c.call("VolumeDriver.Get", func(ctx context.Context) (err error) {
		got, err = v.c.Get(ctx, volume.GetRequest{Name: name})
		return err
	})
	var ls volume.ListResponse
	listErr := c.call("VolumeDriver.List", func(ctx context.Context) (err error) {
		ls, err = v.c.List(ctx)
		return err
	})
	// The engine takes a volume for absent when Get fails with an error
	// of the plugin's, or answers none.
	var se *plugins.StatusError
	var ae *plugins.AnswerError
	absent := errors.As(getErr, &se) || errors.As(getErr, &ae) || getErr == nil && got.Volume == nil
	switch {
	case c.hung != "":
		s.set("left-behind", Fail, name+": cannot tell: "+c.hung)
	case getErr == nil && got.Volume != nil:
		s.set("left-behind", Fail, name+": Get still answers it")
	case listErr == nil && listed(ls, name):
		s.set("left-behind", Fail, name+": List still lists it")
	case !absent && listErr != nil:
		s.set("left-behind", Skip, name+": Get and List fail: "+describe(listErr))
	default:
		s.set("left-behind", Pass, name+" is gone")
	}
}

// cleanup makes the calls that remove probe resources: not timed, not
// stopped by an interruption, and stopped by the first that gets no
// answer in time or cannot reach the plugin: the others would wait as
// long.
type cleanup struct {
	r    *runner
	hung string
}

func (c *cleanup) call(method string, fn func(context.Context) error) error {
	if c.hung != "" {
		return errNotCalled
	}
	bound, engine := c.r.bound(method)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.r.ctx), bound)
	defer cancel()
	err := fn(ctx)
	var se *plugins.StatusError
	var ae *plugins.AnswerError
	switch {
	case err == nil, errors.As(err, &se), errors.As(err, &ae):
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		c.hung = (&noAnswerError{method: method, bound: bound, engine: engine}).Error()
	default:
		c.hung = method + ": " + describe(err)
	}
	return err
}
