package plugins

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/docker/go-connections/tlsconfig"
)

// target is where a client's calls go: an address, and the connections
// to it.
type target struct {
	addr string
	tls  tlsconfig.Options
	host string // Host header of requests
	pool *connPool
}

func newTarget(addr string, tlsOpts tlsconfig.Options) (*target, error) {
	ep, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	var tlsCfg *tls.Config
	if ep.scheme == "https" {
		if tlsCfg, err = tlsconfig.Client(tlsOpts); err != nil {
			return nil, fmt.Errorf("plugin address %q: TLS configuration: %w", addr, err)
		}
		if tlsCfg.ServerName == "" {
			// As net/http: the certificate is checked against the host.
			tlsCfg.ServerName, _, _ = net.SplitHostPort(ep.address)
		}
	}
	return &target{addr: addr, tls: tlsOpts, host: ep.host, pool: newConnPool(ep, tlsCfg)}, nil
}

// same reports whether the plugin described by p is where t leads.
func (t *target) same(p *Plugin) bool {
	a, b := t.tls, p.TLSConfig
	return t.addr == p.Addr && a.CAFile == b.CAFile && a.CertFile == b.CertFile && a.KeyFile == b.KeyFile &&
		a.InsecureSkipVerify == b.InsecureSkipVerify && a.ExclusiveRootPools == b.ExclusiveRootPools &&
		a.MinVersion == b.MinVersion
}

// owner is the store a client belongs to: it finds the client's plugin
// again when its address cannot be reached.
type owner interface {
	// find looks the plugin called name up now, once.
	find(name string) (*Plugin, error)
	// moved says that c's plugin is now where p says.
	moved(c *Client, p *Plugin)
	// gone says that c's plugin is no longer found.
	gone(c *Client)
}

// relocate looks the client's plugin up again, after its address could
// not be reached, and aims the client where it is now: a plugin moved to
// another socket or spec file is reached there. The client's connections
// to the old address are closed as their calls end.
func (c *Client) relocate() error {
	p, err := c.owner.find(c.plugin)
	if err != nil {
		return err
	}
	cur := c.target.Load()
	if cur.same(p) {
		return nil
	}
	next, err := newTarget(p.Addr, p.TLSConfig)
	if err != nil {
		return err
	}
	if !c.target.CompareAndSwap(cur, next) {
		next.pool.shutdown(false) // another call moved it first
		return nil
	}
	cur.pool.shutdown(false)
	c.owner.moved(c, p)
	return nil
}

// afterLookup says what a failed lookup of the client's plugin is worth:
// a plugin not found may come back within the budget (a restart that
// removed its socket); any other lookup failure is final.
func (c *Client) afterLookup(err error) (retryAction, error) {
	if errors.Is(err, ErrNotFound) {
		return retryLater, fmt.Errorf("no longer found: %w", err)
	}
	return giveUp, err
}

// unreachable reports whether err is a failure to connect to the plugin's
// address, after which its store looks it up again.
func unreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
