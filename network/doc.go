// Package network is a typed client for legacy network driver plugins (the
// "NetworkDriver" interface): one method per method the engine sends, with
// the engine's JSON, its error convention and its fallbacks.
//
// The engine's libnetwork registers a remote driver from the handler it sets
// for the interface, once the plugin is activated: it asks for the driver's
// capabilities and keeps the client for later calls. A daemon does the same:
//
//	plugins.Handle(network.Interface, func(name string, c *plugins.Client) {
//		driver := network.NewClient(c)
//		caps, err := driver.GetCapabilities(context.Background())
//		if err != nil {
//			log.Printf("network driver %s not registered: %v", name, err)
//			return
//		}
//		register(name, driver, caps)
//	})
//
// or gets a client for a plugin found by name:
//
//	p, err := plugins.Get("mynet", network.Interface)
//	if err != nil {
//		return err
//	}
//	driver, err := network.FromPlugin(p)
//
// Every answer carries an Err field: a 200 answer whose Err is not empty
// fails the call with a *plugins.AnswerError whose text is the engine's,
// "remote: " and the message. Any other status fails it with a
// *plugins.StatusError, "NetworkDriver.<Method>: <message>". The engine sets
// no timeout on these calls; a deadline on the context bounds them.
package network
