// Package graphdriver is a typed client for graph-driver plugins: the
// GraphDriver interface, storage drivers that keep the layers of images and
// containers, as the engine's graph-driver proxy spoke it.
//
// Graph-driver plugins are gone: always experimental, they were deprecated
// (and disabled by default) in Docker 27.0 and removed in 28.0, and the plugin SDK
// (github.com/docker/go-plugins-helpers) dropped its graphdriver package in
// 2024. This package is for daemons that still load them and for tools that
// talk to old plugins; its wire is Docker 27.5.1's, the last release that
// had them.
//
// Each method sends what the engine sent, with its JSON names: one Request
// for every method but Init (InitRequest) and ApplyDiff, with every key left
// out when empty, and one Response for every answer but Diff's. An Err in a 200 answer
// is returned as a *plugins.AnswerError whose text is the plugin's,
// verbatim, except for Capabilities, Exists and Status, whose Err the engine
// did not read; any other status as a *plugins.StatusError,
// "GraphDriver.<Method>: <message>" (ApplyDiff's method with its query
// string). Capabilities is optional: a plugin that
// does not implement it has none. The engine ignored the errors of Exists,
// Status and Cleanup (but for an Err in Cleanup's answer); these methods
// return them, and the caller decides. Diff's answer is a tar stream, and
// ApplyDiff sends one. The engine set no timeout on these calls; a deadline
// on the context bounds them.
//
// The engine found the plugin at start, when its storage driver
// (--storage-driver) was not a built-in one, initialised it in its data
// root and asked its capabilities. A daemon does the same with:
//
//	p, err := plugins.Get("mystorage", graphdriver.Interface)
//	if err != nil {
//		return err
//	}
//	gd, err := graphdriver.FromPlugin(p)
//	if err != nil {
//		return err
//	}
//	err = gd.Init(ctx, graphdriver.InitRequest{Home: filepath.Join(dataRoot, "mystorage")})
//	if err != nil {
//		return err
//	}
//	caps, err := gd.Capabilities(ctx) // optional: none if not implemented
//	if err != nil {
//		return err
//	}
//	err = gd.Create(ctx, graphdriver.Request{ID: layerID, Parent: parentID})
//	if err != nil {
//		return err
//	}
//	size, err := gd.ApplyDiff(ctx, layerID, parentID, layerTar)
//
// Where the plugin SDK declared the messages differently, this package
// follows the engine; each type says where.
package graphdriver
