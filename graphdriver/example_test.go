package graphdriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/go-dockerplugins/plugins"
	"github.com/go-dockerplugins/plugins/graphdriver"
	"github.com/go-dockerplugins/plugins/pluginstest"
)

// A daemon starts a storage driver plugin as the engine did, then applies a
// layer and reads it back; a plugin's error in a 200 answer is its text,
// verbatim.
func Example() {
	var scope pluginstest.Scope // a test passes its *testing.T instead
	defer scope.Close()
	env := pluginstest.New(&scope)
	var (
		mu     sync.Mutex
		layers = map[string]string{}
	)
	env.ServeSocket("mystorage", graphdriver.Interface).
		Handle("GraphDriver.Init", pluginstest.Reply(graphdriver.Response{})).
		Handle("GraphDriver.Create", pluginstest.Reply(graphdriver.Response{})).
		HandleFunc("GraphDriver.ApplyDiff", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			layers[r.URL.Query().Get("id")] = string(b)
			mu.Unlock()
			pluginstest.Reply(graphdriver.Response{Size: int64(len(b))}).ServeHTTP(w, r)
		}).
		HandleFunc("GraphDriver.Diff", func(w http.ResponseWriter, r *http.Request) {
			var req graphdriver.Request
			_ = json.NewDecoder(r.Body).Decode(&req)
			mu.Lock()
			defer mu.Unlock()
			_, _ = io.WriteString(w, layers[req.ID]) // the layer's tar stream
		}).
		Handle("GraphDriver.Remove", pluginstest.Reply(graphdriver.Response{Err: "layer l1 is in use"}))

	p, err := env.Store().Get("mystorage", graphdriver.Interface)
	if err != nil {
		fmt.Println(err)
		return
	}
	gd, err := graphdriver.FromPlugin(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	fmt.Println(gd.Init(ctx, graphdriver.InitRequest{Home: "/var/lib/docker/mystorage"}))
	caps, err := gd.Capabilities(ctx) // not implemented: none
	fmt.Println(caps.ReproducesExactDiffs, err)

	fmt.Println(gd.Create(ctx, graphdriver.Request{ID: "l1"}))
	size, err := gd.ApplyDiff(ctx, "l1", "", strings.NewReader("layer contents"))
	fmt.Println(size, err)
	diff, err := gd.Diff(ctx, "l1", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer diff.Close()
	b, err := io.ReadAll(diff)
	fmt.Printf("%q %v\n", b, err)

	err = gd.Remove(ctx, "l1")
	var ae *plugins.AnswerError
	fmt.Println(err, errors.As(err, &ae))
	// Output:
	// <nil>
	// false <nil>
	// <nil>
	// 14 <nil>
	// "layer contents" <nil>
	// layer l1 is in use true
}
