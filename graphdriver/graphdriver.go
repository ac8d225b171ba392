package graphdriver

import (
	"context"
	"io"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/internal/typed"
)

// Interface is the name a graph-driver plugin lists in its manifest, as in
// plugins.Get(name, graphdriver.Interface).
const Interface = "GraphDriver"

// withErr is a method whose answer's Err counts, by the interface's
// convention for an Err in a 200 answer: the plugin's text, verbatim.
func withErr[Req any](name string) plugins.Method[Req, Response] {
	return plugins.Method[Req, Response]{
		Name:    name,
		Failure: plugins.AnswerFailure(name, "", func(r *Response) string { return r.Err }),
	}
}

// The methods, as the engine's proxy called them: no timeouts, Diff as a
// stream, ApplyDiff as a file sent; Capabilities, Exists and Status do not
// read Err.
var (
	initialize      = withErr[InitRequest]("GraphDriver.Init")
	capabilities    = plugins.Method[Request, Response]{Name: "GraphDriver.Capabilities", Optional: true}
	create          = withErr[Request]("GraphDriver.Create")
	createReadWrite = withErr[Request]("GraphDriver.CreateReadWrite")
	remove          = withErr[Request]("GraphDriver.Remove")
	get             = withErr[Request]("GraphDriver.Get")
	put             = withErr[Request]("GraphDriver.Put")
	exists          = plugins.Method[Request, Response]{Name: "GraphDriver.Exists"}
	status          = plugins.Method[Request, Response]{Name: "GraphDriver.Status"}
	getMetadata     = withErr[Request]("GraphDriver.GetMetadata")
	cleanup         = withErr[Request]("GraphDriver.Cleanup")
	diff            = plugins.Method[Request, struct{}]{Name: "GraphDriver.Diff"}
	changes         = withErr[Request]("GraphDriver.Changes")
	applyDiff       = withErr[struct{}]("GraphDriver.ApplyDiff")
	diffSize        = withErr[Request]("GraphDriver.DiffSize")
)

// Client calls a graph-driver plugin. It is safe for concurrent use.
type Client struct {
	c *plugins.Client
}

// NewClient returns a Client that calls the plugin through c.
func NewClient(c *plugins.Client) *Client { return &Client{c: c} }

// FromPlugin returns a Client for p, an activated plugin, or an error
// matching plugins.ErrNotImplements when p's manifest does not list
// Interface.
func FromPlugin(p *plugins.Plugin) (*Client, error) {
	return plugins.TypedClient(p, Interface, NewClient)
}

// Init asks the driver to start, in req.Home (GraphDriver.Init). The engine
// sent it at daemon start, with Capabilities right after it; an error of
// either meant the storage driver was unusable and the daemon did not start.
func (c *Client) Init(ctx context.Context, req InitRequest) error {
	return typed.ErrOnly(initialize.Call(ctx, c.c, req))
}

// Capabilities asks what the driver can do (GraphDriver.Capabilities, with
// {} as its request). It is optional: a plugin that answers 404 has none,
// and this returns the zero Capabilities with no error. The engine failed
// Init on any other error, and did not read the answer's Err: neither does
// this method.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	resp, err := capabilities.Call(ctx, c.c, Request{})
	if err != nil {
		return Capabilities{}, err
	}
	return resp.Capabilities, nil
}

// Create asks the driver to create a read-only layer, req.ID, on
// req.Parent (GraphDriver.Create, with req as it is, its empty fields left
// out). The engine filled the four fields, for each layer of an image it
// pulled, loaded or built.
func (c *Client) Create(ctx context.Context, req Request) error {
	return typed.ErrOnly(create.Call(ctx, c.c, req))
}

// CreateReadWrite asks the driver to create a writable layer, req.ID, on
// req.Parent (GraphDriver.CreateReadWrite, with req as it is, its empty
// fields left out). The engine filled the four fields, for a container's
// layer and its init layer.
func (c *Client) CreateReadWrite(ctx context.Context, req Request) error {
	return typed.ErrOnly(createReadWrite.Call(ctx, c.c, req))
}

// Remove asks the driver to remove a layer (GraphDriver.Remove, with the ID
// only).
func (c *Client) Remove(ctx context.Context, id string) error {
	return typed.ErrOnly(remove.Call(ctx, c.c, Request{ID: id}))
}

// Get asks the driver to mount a layer, with an SELinux label when
// mountLabel is not empty, and returns where (GraphDriver.Get, with the ID
// and the label). With an Err in the answer, its Dir is returned too, as
// the engine's proxy did. The engine used a legacy plugin's Dir as it was
// (it mapped a managed plugin's into the plugin's root file system).
func (c *Client) Get(ctx context.Context, id, mountLabel string) (string, error) {
	resp, err := get.Call(ctx, c.c, Request{ID: id, MountLabel: mountLabel})
	return resp.Dir, err
}

// Put tells the driver that a layer mounted by Get is no longer used
// (GraphDriver.Put, with the ID only).
func (c *Client) Put(ctx context.Context, id string) error {
	return typed.ErrOnly(put.Call(ctx, c.c, Request{ID: id}))
}

// Exists asks the driver whether it has a layer (GraphDriver.Exists, with
// the ID only). The engine read any error as false, and did not read the
// answer's Err: this method returns false with the errors of the call, and
// ignores Err.
func (c *Client) Exists(ctx context.Context, id string) (bool, error) {
	resp, err := exists.Call(ctx, c.c, Request{ID: id})
	if err != nil {
		return false, err
	}
	return resp.Exists, nil
}

// Status asks the driver for what `docker info` shows of it
// (GraphDriver.Status, with {} as its request). The engine showed no status
// on any error, and did not read the answer's Err: this method returns no
// status with the errors of the call, and ignores Err.
func (c *Client) Status(ctx context.Context) ([][2]string, error) {
	resp, err := status.Call(ctx, c.c, Request{})
	if err != nil {
		return nil, err
	}
	return resp.Status, nil
}

// GetMetadata asks the driver for what `docker inspect` shows of a layer
// (GraphDriver.GetMetadata, with the ID only); it returns no metadata with
// an error, as the engine's proxy did.
func (c *Client) GetMetadata(ctx context.Context, id string) (map[string]string, error) {
	resp, err := getMetadata.Call(ctx, c.c, Request{ID: id})
	if err != nil {
		return nil, err
	}
	return resp.Metadata, nil
}

// Cleanup tells the driver that the daemon is shutting down
// (GraphDriver.Cleanup, with {} as its request). The engine ignored every
// error of the call, an error status included, and failed only on an Err in
// a 200 answer; this method returns them all, and the caller decides.
func (c *Client) Cleanup(ctx context.Context) error {
	return typed.ErrOnly(cleanup.Call(ctx, c.c, Request{}))
}

// Diff asks the driver for a layer's changes from parent (empty for a base
// layer: the whole layer) as a tar stream (GraphDriver.Diff, with the ID and
// Parent in a JSON body: no query string, unlike ApplyDiff), as the engine
// asked for a layer it exported (docker save, push or commit). It returns
// the answer's body, which the caller must close; the context bounds
// reading it too. Only a status other than 200 is an error: a 200 answer is
// the tar stream, with no Err to look for.
func (c *Client) Diff(ctx context.Context, id, parent string) (io.ReadCloser, error) {
	return diff.Stream(ctx, c.c, Request{ID: id, Parent: parent})
}

// Changes asks the driver for what changed in a layer from parent (empty
// for a base layer: everything is added), for `docker diff`
// (GraphDriver.Changes, with the ID and Parent); it returns no changes with
// an error, as the engine's proxy did.
func (c *Client) Changes(ctx context.Context, id, parent string) ([]Change, error) {
	resp, err := changes.Call(ctx, c.c, Request{ID: id, Parent: parent})
	if err != nil {
		return nil, err
	}
	return resp.Changes, nil
}

// ApplyDiff sends a layer's tar stream to the driver to unpack as layer id
// on parent (empty for a base layer), and returns the size it applied, or
// -1 with an error, as the engine's proxy did. The stream is the request's
// body as it is, chunked unless its length is known, to
// "GraphDriver.ApplyDiff?id=<id>&parent=<parent>", and is closed when the
// call returns if it is an io.Closer, as the engine's client closed it. The
// text of an error status names the method with that query string, as the
// engine's did (a *plugins.AnswerError's Method is "GraphDriver.ApplyDiff").
//
// The values are inserted in the query unescaped, as the engine did. A
// layer ID is hexadecimal and needs no escaping, but in an ID with & the
// plugin reads the rest as another key (id=a&b reads as id "a" and a key
// "b"; an ID a&parent=x puts a parent before the real one), + reads as a space and %XX as
// an escape, # ends the query (what follows is not sent), and a space makes
// the request line invalid (a Go plugin answers 400); an = within a value
// is kept, since a value ends only at &.
func (c *Client) ApplyDiff(ctx context.Context, id, parent string, tar io.Reader) (int64, error) {
	resp, err := applyDiff.SendFile(ctx, c.c, "GraphDriver.ApplyDiff?id="+id+"&parent="+parent, tar)
	if err != nil {
		return -1, err
	}
	return resp.Size, nil
}

// DiffSize asks the driver for the size of a layer's changes from parent
// (GraphDriver.DiffSize, with the ID and Parent), and returns it, or -1
// with an error, as the engine's proxy did.
func (c *Client) DiffSize(ctx context.Context, id, parent string) (int64, error) {
	resp, err := diffSize.Call(ctx, c.c, Request{ID: id, Parent: parent})
	if err != nil {
		return -1, err
	}
	return resp.Size, nil
}
