// Package volume is a typed client for volume plugins: the VolumeDriver
// interface, as the engine's volume proxy and adapter speak it.
//
// Each method sends what the engine sends, with the engine's JSON names and
// per-method timeouts (two minutes for Create and Mount, one for the rest,
// when the context has no deadline), and reads the answer as the engine
// does: an Err in a 200 answer is returned as a *plugins.AnswerError whose
// text is the plugin's, verbatim; any other status as a *plugins.StatusError,
// "VolumeDriver.<Method>: <message>". Capabilities is optional: a plugin
// that does not implement it is taken to be of the local scope.
//
// A daemon finds a plugin and calls it with:
//
//	p, err := plugins.Get("myvolumes", volume.Interface)
//	if err != nil {
//		return err
//	}
//	vd, err := volume.FromPlugin(p)
//	if err != nil {
//		return err
//	}
//	if err := vd.Create(ctx, volume.CreateRequest{Name: "data"}); err != nil {
//		return err
//	}
//	m, err := vd.Mount(ctx, volume.MountRequest{Name: "data", ID: mountID})
//
// Where the plugin SDK (github.com/docker/go-plugins-helpers/volume)
// declares the messages differently, this package follows the engine; each
// type says where.
package volume
