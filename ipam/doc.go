// Package ipam is a typed client for legacy IPAM driver plugins (the
// "IpamDriver" interface), which allocate the address pools and addresses
// of networks: one method per method the engine sends, with the engine's
// JSON, its error convention and its fallbacks.
//
// The engine's libnetwork registers a remote IPAM driver from the handler it
// sets for the interface, once the plugin is activated, after asking for
// its capabilities; any error there only means "no capabilities". A daemon
// does the same:
//
//	plugins.Handle(ipam.Interface, func(name string, c *plugins.Client) {
//		driver := ipam.NewClient(c)
//		caps, err := driver.GetCapabilities(context.Background())
//		if err != nil {
//			caps = ipam.CapabilitiesResponse{} // as the engine: registered all the same
//		}
//		register(name, driver, caps)
//	})
//
// or gets a client for a plugin found by name:
//
//	p, err := plugins.Get("myipam", ipam.Interface)
//	if err != nil {
//		return err
//	}
//	driver, err := ipam.FromPlugin(p)
//
// Answers carry their error in an Error field, not Err as in other
// interfaces: a 200 answer whose Error is not empty fails the call with a
// *plugins.AnswerError whose text is the engine's, "remote: " and the
// message, while a 200 answer with an Err only is a success, as in the
// engine. Any other status fails the call with a *plugins.StatusError,
// "IpamDriver.<Method>: <message>", where the message is the answer's Err
// (not Error) or else its whole body. The engine sets no timeout on these
// calls; a deadline on the context bounds them.
package ipam
