package conformance

import "strings"

// Plugin is the Interface of the checks every plugin gets, whatever it
// implements: its handshake, its manifest and how it speaks HTTP.
const Plugin = "Plugin"

// ProbePrefix begins the name of every volume that WithWrite creates, and
// ProbeIDPrefix the 64-hex ID of every network and endpoint, so that a
// probe left behind is recognised; the rest is random.
const (
	ProbePrefix   = "conformance-probe-"
	ProbeIDPrefix = "c0ffee"
)

// Check is one check, as data: what it looks at, when it passes, warns or
// fails, and what the engine does when it warns or fails. Checks lists
// them all; every Finding names one.
type Check struct {
	// Interface is the manifest name the check applies to, such as
	// "VolumeDriver", or Plugin for the checks of every plugin.
	Interface string
	// ID names the check within its interface, such as "list".
	ID string
	// Title says what is checked.
	Title string
	// Write is set for the checks that create and remove probe resources:
	// they run only WithWrite.
	Write bool
	// Pass, Warn and Fail say when the check passes, warns and fails;
	// Warn or Fail is empty for a check that never does. Skip, when not
	// empty, says when the check is not judged besides the general cases
	// (a call that got no answer in time, a check it depends on).
	Pass, Warn, Fail, Skip string
	// WarnConsequence and FailConsequence say, in a sentence, what the
	// engine does when the check warns or fails.
	WarnConsequence, FailConsequence string
}

// Checks returns every check, in the order a Report lists them: the
// checks of every plugin, then those of each interface, the checks that
// need WithWrite included.
func Checks() []Check {
	return append([]Check(nil), checks...)
}

// Interfaces returns the interfaces the engine asks legacy plugins for,
// as their manifests must spell them, in the order of Checks.
func Interfaces() []string {
	out := make([]string, len(interfaces))
	for i, in := range interfaces {
		out[i] = in.name
	}
	return out
}

// iface is an interface the engine asks legacy plugins for.
type iface struct {
	name   string // in manifests, e.g. "authz"
	prefix string // of its methods' paths, e.g. "AuthZPlugin."
	// noArgs are its methods that take no argument and change nothing,
	// which empty-args sends; braces is set when the engine sends them {}
	// rather than an empty body.
	noArgs []string
	braces bool
}

var interfaces = []iface{
	{name: "VolumeDriver", prefix: "VolumeDriver.", noArgs: []string{"VolumeDriver.List", "VolumeDriver.Capabilities"}, braces: true},
	{name: "NetworkDriver", prefix: "NetworkDriver.", noArgs: []string{"NetworkDriver.GetCapabilities"}},
	{name: "IpamDriver", prefix: "IpamDriver.", noArgs: []string{"IpamDriver.GetCapabilities", "IpamDriver.GetDefaultAddressSpaces"}},
	{name: "authz", prefix: "AuthZPlugin."},
	{name: "LogDriver", prefix: "LogDriver.", noArgs: []string{"LogDriver.Capabilities"}},
	{name: "MetricsCollector", prefix: "MetricsCollector."},
	{name: "secretprovider", prefix: "SecretProvider."},
	{name: "GraphDriver", prefix: "GraphDriver.", noArgs: []string{"GraphDriver.Capabilities", "GraphDriver.Status"}, braces: true},
}

func lookupInterface(name string) (iface, bool) {
	for _, in := range interfaces {
		if in.name == name {
			return in, true
		}
	}
	return iface{}, false
}

// checkIndex finds a check by interface and ID.
var checkIndex = func() map[[2]string]int {
	m := make(map[[2]string]int, len(checks))
	for i, c := range checks {
		m[[2]string{c.Interface, c.ID}] = i
	}
	return m
}()

// The consequences of an unknown method answered otherwise than 404, by
// interface: only where an optional method depends on a 404 does it
// matter today.
const noneToday = "; only a 404 says \"not implemented\" to the engine."

// unknownMethod is the check of how the interface answers a method it
// does not serve.
func unknownMethod(in, consequence string) Check {
	prefix, _ := lookupInterface(in)
	return Check{
		Interface: in, ID: "unknown-method",
		Title:           "POST /" + prefix.prefix + unknownMethodName + ", a method no plugin serves, is answered 404, as the SDK answers a method it does not serve.",
		Pass:            "404.",
		Warn:            "any other status.",
		WarnConsequence: consequence,
	}
}

// unknownMethodName is the method unknown-method calls.
const unknownMethodName = "ConformanceNoSuchMethod"

// emptyArgs is the check that the interface's methods without arguments
// take both bodies a client may send.
func emptyArgs(in string) Check {
	i, _ := lookupInterface(in)
	names := make([]string, len(i.noArgs))
	for k, m := range i.noArgs {
		names[k] = strings.TrimPrefix(m, i.prefix)
	}
	sent, other := "an empty body", "{}"
	otherClients := "clients that send {}, as plugctl call does, get an error."
	if i.braces {
		sent, other = "{}", "an empty body"
		otherClients = "clients that send no body, as the engine does to the argument-less methods of other interfaces, get an error."
	}
	return Check{
		Interface: in, ID: "empty-args",
		Title: "The methods without arguments that change nothing (" + strings.Join(names, ", ") + ") answer " + other +
			" as they answer " + sent + ", which the engine sends.",
		Pass:            "the same status to both.",
		Warn:            other + " gets another status (often 400) than " + sent + ".",
		Skip:            sent + " gets an error and " + other + " does not: the method's own check says so.",
		WarnConsequence: "None with the engine, which sends " + sent + "; " + otherClients,
	}
}

// inTime is the check that every call of the interface is answered in
// time: within the engine's timeouts where it has some (volumes), else
// within the check's own bound.
func inTime(in string) Check {
	c := Check{
		Interface: in, ID: "answers-in-time",
		Title: "Every call is answered within the check's bound (WithCallTimeout, plugctl check --timeout; 30 seconds by default): " +
			"the engine sets no timeout on " + in + " calls.",
		Pass:            "every answer came within the bound.",
		Fail:            "no answer within the bound.",
		FailConsequence: "The engine sets no timeout on these calls: the operation that made one waits as long as the plugin does.",
	}
	if in == "VolumeDriver" {
		c.Title = "Every call is answered within the engine's timeout: 2 minutes for Create and Mount, 1 minute for the other VolumeDriver methods."
		c.Pass = "every answer took at most half its timeout."
		c.Warn = "an answer took more than half its timeout."
		c.WarnConsequence = "Under load the call may outlast the engine's timeout, which fails it."
		c.Fail = "no answer within the timeout."
		c.FailConsequence = "The engine gives up on the call when its timeout ends, and the operation fails."
	}
	return c
}

var checks = []Check{
	{
		Interface: Plugin, ID: "handshake",
		Title: "/Plugin.Activate, sent with an empty body as the engine sends it, is answered 200 with {\"Implements\": [...]} " +
			"naming at least one interface.",
		Pass:            "200 with a JSON object whose Implements lists at least one name.",
		Fail:            "another status, an answer that is not such an object, or an empty Implements.",
		FailConsequence: "The engine cannot activate the plugin, or finds it for no interface: every use of it fails.",
	},
	{
		Interface: Plugin, ID: "implements",
		Title: "Every interface the manifest lists is one the engine asks legacy plugins for, spelled exactly as the engine " +
			"spells it: VolumeDriver, NetworkDriver, IpamDriver, authz, LogDriver, MetricsCollector, secretprovider, GraphDriver.",
		Pass: "every name is one of them.",
		Warn: "a name close to none of them.",
		Fail: "a name that differs from one of them in case or by a letter or two, or is another name for it (LoggingDriver, " +
			"AuthZPlugin, docker.volumedriver/1.0, ...), or csinode or csicontroller; the detail says which name was meant.",
		WarnConsequence: "The engine never asks a plugin for that interface; only programs of your own may.",
		FailConsequence: "The engine matches names exactly, case included, and takes CSI interfaces from managed plugins only: " +
			"it never uses the plugin for that entry.",
	},
	{
		Interface: Plugin, ID: "framing",
		Title: "Every answer to the check's raw requests is well-formed HTTP/1.1 that ends where its headers say (Content-Length, " +
			"chunked encoding, or the end of the connection), with nothing after it.",
		Pass: "every answer could be read whole.",
		Fail: "a malformed status line or header, a body shorter than its Content-Length, broken chunked encoding, " +
			"or bytes after the end of an answer.",
		FailConsequence: "The engine's HTTP client cannot read such an answer, or the next one on the same connection: the call fails.",
	},
	{
		Interface: Plugin, ID: "content-type",
		Title: "Every 200 answer with a body says it is JSON: Content-Type application/json or a +json type, such as the SDK's " +
			"application/vnd.docker.plugins.v1.1+json.",
		Pass:            "every such answer is labelled JSON.",
		Warn:            "no Content-Type, or another one (such as net/http's text/plain, when a handler sets none).",
		WarnConsequence: "None with the engine, which never reads an answer's Content-Type; HTTP tools that go by it take the answer for something else than JSON.",
	},
	{
		Interface: Plugin, ID: "keep-alive",
		Title:           "Three handshakes sent one after the other on one connection are all answered, and the connection stays open after each.",
		Pass:            "all three answered on one connection, which the plugin keeps open.",
		Warn:            "the plugin says it closes the connection (Connection: close, an HTTP/1.0 answer, or a body that ends with the connection), and does.",
		WarnConsequence: "Nothing fails, but the engine opens a new connection for every call (over TLS, with a new handshake).",
		Fail:            "the plugin closes the connection after an answer without saying so, or leaves a request on it unanswered.",
		FailConsequence: "Under load, a call the engine sends on a connection as the plugin closes it fails; the engine sends it " +
			"again a second later, with an empty body.",
	},

	{
		Interface: "VolumeDriver", ID: "capabilities",
		Title: "VolumeDriver.Capabilities, sent {} as the engine sends it, answers a scope of local or global, " +
			"or 404 (not implemented: local).",
		Pass:            "local or global in any case, no scope (local), or 404.",
		Warn:            "another scope, or any other error.",
		WarnConsequence: "The engine takes the driver for local scope (and, after an error, asks again at every use).",
	},
	{
		Interface: "VolumeDriver", ID: "list",
		Title:           "VolumeDriver.List, sent {}, answers a list of volumes that the engine can read.",
		Pass:            "200 with Volumes, possibly empty or null.",
		Fail:            "an error (another status, or Err in a 200 answer), or an answer that does not decode.",
		Skip:            "the answer does not decode only because of a CreatedAt: created-at says so.",
		FailConsequence: "The engine warns \"list DRIVER: ERROR\" and shows only the volumes of the driver it already knew of.",
	},
	{
		Interface: "VolumeDriver", ID: "null-volumes",
		Title:           "No element of the Volumes that List answers is null.",
		Pass:            "none is.",
		Fail:            "one is.",
		FailConsequence: "The engine reads every element without checking for null: listing volumes crashes the daemon (a nil pointer dereference).",
	},
	{
		Interface: "VolumeDriver", ID: "created-at",
		Title:           "The CreatedAt of every volume that List answers (and Get, with --write) is absent, null or RFC 3339.",
		Pass:            "every CreatedAt is.",
		Fail:            "another value, such as \"\" or a date in another format.",
		FailConsequence: "The engine cannot decode the whole answer: a volume from Get looks absent, and List fails as a broken driver does.",
	},
	{
		Interface: "VolumeDriver", ID: "get-missing",
		Title:           "VolumeDriver.Get of a volume that does not exist answers an error, or a null Volume.",
		Pass:            "an error of any kind, or 200 with a null Volume.",
		Fail:            "a volume.",
		FailConsequence: "The engine takes the volume for existing: docker volume create of that name never calls Create.",
	},
	unknownMethod("VolumeDriver", "None today: the one optional VolumeDriver method, Capabilities, falls back on any error"+noneToday),
	emptyArgs("VolumeDriver"),
	{
		Interface: "VolumeDriver", ID: "create", Write: true,
		Title:           "VolumeDriver.Create of a probe volume, named " + ProbePrefix + " and 12 random hex digits, without options (Opts null, as the engine sends it).",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "docker volume create with this driver fails with the plugin's error.",
	},
	{
		Interface: "VolumeDriver", ID: "get", Write: true,
		Title:           "VolumeDriver.Get of the probe volume answers it, by name.",
		Pass:            "the volume, by its name.",
		Fail:            "an error, a null Volume, or another name.",
		FailConsequence: "The engine takes the volume for absent: docker volume inspect and the containers that use it do not find it.",
	},
	{
		Interface: "VolumeDriver", ID: "listed", Write: true,
		Title:           "VolumeDriver.List lists the probe volume.",
		Pass:            "it does.",
		Fail:            "it does not.",
		FailConsequence: "docker volume ls does not show the volume: the engine lists a driver's volumes from its List answer.",
	},
	{
		Interface: "VolumeDriver", ID: "mount", Write: true,
		Title:           "VolumeDriver.Mount of the probe volume, with a random 64-hex ID as the engine sends, answers a mountpoint.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "Containers that use a volume of this driver do not start: \"error while mounting volume\".",
	},
	{
		Interface: "VolumeDriver", ID: "path", Write: true,
		Title:           "VolumeDriver.Path of the mounted probe volume answers.",
		Pass:            "success.",
		Warn:            "an error.",
		WarnConsequence: "The engine ignores the error: docker volume inspect shows no mountpoint for the volume.",
	},
	{
		Interface: "VolumeDriver", ID: "unmount", Write: true,
		Title:           "VolumeDriver.Unmount of the probe volume, with the ID it was mounted with.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "Stopping a container that uses the volume reports the error, and the engine keeps the volume's mountpoint.",
	},
	{
		Interface: "VolumeDriver", ID: "remove", Write: true,
		Title:           "VolumeDriver.Remove of the probe volume.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "docker volume rm fails: \"remove NAME: ERROR\".",
	},
	{
		Interface: "VolumeDriver", ID: "left-behind", Write: true,
		Title: "After the life cycle and the clean-up, which unmounts and removes the probe volume again whatever happened, " +
			"Get does not answer it and List does not list it.",
		Pass:            "neither does.",
		Fail:            "either does, or a clean-up call got no answer in time.",
		Skip:            "Get and List both fail: nothing tells.",
		FailConsequence: "The probe volume stays on the plugin: remove it by hand (its name begins with " + ProbePrefix + ").",
	},
	inTime("VolumeDriver"),

	{
		Interface: "NetworkDriver", ID: "capabilities",
		Title: "NetworkDriver.GetCapabilities, sent with an empty body as the engine sends it, answers a Scope of exactly local " +
			"or global, and a ConnectivityScope of local, global or none.",
		Pass:            "it does.",
		Fail:            "an error, or another scope (Global, say).",
		FailConsequence: "The engine does not register the driver: no network can use it.",
	},
	{
		Interface: "NetworkDriver", ID: "gw-alloc-check",
		Title:           "When the capabilities set GwAllocChecker, NetworkDriver.GwAllocCheck for a new network's options answers.",
		Pass:            "success.",
		Fail:            "an error.",
		Skip:            "GwAllocChecker is not set: the engine never sends GwAllocCheck.",
		FailConsequence: "docker network create with this driver fails: the engine sends GwAllocCheck before it creates any network.",
	},
	unknownMethod("NetworkDriver", "If the plugin lacks ProgramExternalConnectivity or RevokeExternalConnectivity, which the engine "+
		"skips only on a 404, connecting containers to its networks fails."),
	emptyArgs("NetworkDriver"),
	{
		Interface: "NetworkDriver", ID: "create-network", Write: true,
		Title: "NetworkDriver.CreateNetwork of a probe network, with a random 64-hex ID beginning " + ProbeIDPrefix +
			" and the IPv4 pool " + probePool + " (a documentation range), gateway " + probeGateway + ".",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "docker network create with this driver fails with the plugin's error.",
	},
	{
		Interface: "NetworkDriver", ID: "create-endpoint", Write: true,
		Title: "NetworkDriver.CreateEndpoint of a probe endpoint in it, with the address " + probeAddress + " and no MAC address: " +
			"the answer may fill only what the request left empty, with values that parse.",
		Pass:            "success, with no Interface, or one that sets only empty fields, to a CIDR address or a MAC address.",
		Fail:            "an error, an answer that sets the address again (even to the same value), or a value that does not parse.",
		FailConsequence: "Containers cannot connect to the network: the engine fails the endpoint (\"driver modified interface address\", or a parse error) and deletes it.",
	},
	{
		Interface: "NetworkDriver", ID: "delete-endpoint", Write: true,
		Title:           "NetworkDriver.DeleteEndpoint of the probe endpoint.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "The engine reports the error when a container leaves the network.",
	},
	{
		Interface: "NetworkDriver", ID: "delete-network", Write: true,
		Title:           "NetworkDriver.DeleteNetwork of the probe network.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "docker network rm fails with the plugin's error.",
	},
	{
		Interface: "NetworkDriver", ID: "left-behind", Write: true,
		Title:           "The probe endpoint and network were deleted, in the life cycle or by the clean-up, which deletes again whatever it could not.",
		Pass:            "both were, or were never created.",
		Fail:            "a deletion failed in the clean-up too, or got no answer in time.",
		FailConsequence: "The probe network or endpoint may stay on the plugin: delete it by hand (its ID begins with " + ProbeIDPrefix + ").",
	},
	inTime("NetworkDriver"),

	{
		Interface: "IpamDriver", ID: "capabilities",
		Title:           "IpamDriver.GetCapabilities, sent with an empty body as the engine sends it, answers 200, or 404.",
		Pass:            "200 with no Error, or 404.",
		Warn:            "any other error.",
		WarnConsequence: "The engine registers the driver without capabilities: no MAC address in its address requests, no replay of its requests at daemon start.",
	},
	{
		Interface: "IpamDriver", ID: "default-spaces",
		Title:           "IpamDriver.GetDefaultAddressSpaces, sent with an empty body, answers.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "docker network create with this IPAM driver fails: the engine asks for the default spaces before every pool.",
	},
	{
		Interface: "IpamDriver", ID: "error-key",
		Title: "Every error in a 200 answer is under Error, the key the engine reads for IPAM, not Err; with --write, " +
			"the check also asks for an address in a pool that does not exist, to see the error.",
		Pass:            "no 200 answer has Err without Error.",
		Fail:            "one has.",
		FailConsequence: "The engine reads Error, not Err: it takes the failure for a success.",
	},
	unknownMethod("IpamDriver", "None today: the one optional IpamDriver method, GetCapabilities, falls back on any error"+noneToday),
	emptyArgs("IpamDriver"),
	{
		Interface: "IpamDriver", ID: "request-pool", Write: true,
		Title: "IpamDriver.RequestPool of any IPv4 pool in the local default address space answers a pool ID and the pool " +
			"in CIDR form (and, if its Data gives one, the gateway in CIDR form).",
		Pass:            "it does.",
		Fail:            "an error, or a pool or gateway that does not parse.",
		FailConsequence: "docker network create with this IPAM driver fails.",
	},
	{
		Interface: "IpamDriver", ID: "request-address", Write: true,
		Title:           "IpamDriver.RequestAddress of any address in the probe pool answers an address in CIDR form.",
		Pass:            "it does.",
		Fail:            "an error, no address, or one that does not parse.",
		FailConsequence: "Containers cannot get an address: the engine fails with \"no address returned\" or a parse error.",
	},
	{
		Interface: "IpamDriver", ID: "release-address", Write: true,
		Title:           "IpamDriver.ReleaseAddress of that address, bare as the engine sends it.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "The engine reports or logs the error when the endpoint or network that held the address goes.",
	},
	{
		Interface: "IpamDriver", ID: "release-pool", Write: true,
		Title:           "IpamDriver.ReleasePool of the probe pool.",
		Pass:            "success.",
		Fail:            "an error.",
		FailConsequence: "The engine only logs the error and forgets the pool, which the plugin keeps allocated.",
	},
	{
		Interface: "IpamDriver", ID: "left-behind", Write: true,
		Title:           "The probe address and pool were released, in the life cycle or by the clean-up, which releases again whatever it could not.",
		Pass:            "both were, or were never allocated.",
		Fail:            "a release failed in the clean-up too, or got no answer in time.",
		FailConsequence: "The probe pool or address may stay allocated in the plugin: release it by hand.",
	},
	inTime("IpamDriver"),

	{
		Interface: "authz", ID: "authz-req",
		Title:           "AuthZPlugin.AuthZReq of an anonymous GET /_ping is answered 200, allowing it or not.",
		Pass:            "200.",
		Fail:            "another status.",
		FailConsequence: "Every API request the plugin is asked about fails: \"plugin NAME failed with error: AuthZPlugin.AuthZReq: ...\".",
	},
	{
		Interface: "authz", ID: "authz-res",
		Title:           "AuthZPlugin.AuthZRes of the same request and its 200 answer is answered 200.",
		Pass:            "200.",
		Fail:            "another status.",
		FailConsequence: "Every API response the plugin is asked about fails: \"plugin NAME failed with error: AuthZPlugin.AuthZRes: ...\".",
	},
	{
		Interface: "authz", ID: "error-key",
		Title:           "No 200 answer sets Err, which the engine ignores in 200 answers.",
		Pass:            "none does.",
		Warn:            "one does, with Allow false.",
		WarnConsequence: "The engine ignores Err: the API client sees a denial with Msg, not the plugin's error.",
		Fail:            "one does, with Allow true.",
		FailConsequence: "The engine ignores Err and goes by Allow: the request or response goes through.",
	},
	unknownMethod("authz", "None today: the engine has no optional AuthZPlugin method"+noneToday),
	inTime("authz"),

	{
		Interface: "LogDriver", ID: "capabilities",
		Title: "LogDriver.Capabilities, sent with an empty body as the engine sends it, answers the capabilities under Cap " +
			"({\"Cap\": {\"ReadLogs\": true}}), or 404.",
		Pass:            "200 with no Err, or 404.",
		Warn:            "any other error.",
		WarnConsequence: "The engine assumes no capabilities: it never calls ReadLogs.",
		Fail:            "ReadLogs outside Cap, as the plugin documentation shows it ({\"ReadLogs\": true}).",
		FailConsequence: "The engine reads only {\"Cap\": {\"ReadLogs\": true}}: it never calls ReadLogs.",
	},
	{
		Interface: "LogDriver", ID: "read-logs",
		Title: "When Cap.ReadLogs is set, LogDriver.ReadLogs of a container the plugin never logged, without Follow, answers " +
			"an error status, or a stream of framed entries that ends.",
		Pass:            "an error status, or entries that decode.",
		Fail:            "a 200 stream that does not decode as entries.",
		Skip:            "Cap.ReadLogs is not set: the engine never calls ReadLogs.",
		FailConsequence: "docker logs fails: \"error decoding log message\".",
	},
	unknownMethod("LogDriver", "None today: the one optional LogDriver method, Capabilities, falls back on any error"+noneToday),
	emptyArgs("LogDriver"),
	inTime("LogDriver"),

	{
		Interface: "MetricsCollector", ID: "legacy",
		Title:           "The plugin declares MetricsCollector as a legacy plugin, which the engine cannot start.",
		Fail:            "always: this check is for legacy plugins.",
		FailConsequence: "The engine's activation of a legacy metrics collector blocks for good and StartMetrics is never sent: metrics collectors work only as managed plugins.",
	},
	unknownMethod("MetricsCollector", "None today: the engine only logs the errors of both MetricsCollector methods"+noneToday),
	inTime("MetricsCollector"),

	{
		Interface: "secretprovider", ID: "get-missing",
		Title:           "SecretProvider.GetSecret of a secret that does not exist answers an error, or a value the engine accepts.",
		Pass:            "an error, or a value of 1 byte to less than 500 KiB.",
		Warn:            "200 with neither a value nor Err.",
		WarnConsequence: "The engine fails the task with \"secret data must be larger than 0 and less than 512000 bytes\", not with an error of the plugin's.",
		Fail:            "a value of 500 KiB or more.",
		FailConsequence: "The engine refuses the value: \"secret data must be larger than 0 and less than 512000 bytes\".",
	},
	{
		Interface: "secretprovider", ID: "error-text",
		Title:           "An error in a 200 answer (its Err) has no % in it.",
		Pass:            "no error in a 200 answer, or one without %.",
		Warn:            "one with %.",
		WarnConsequence: "Docker 28 uses the text as a format string, so its % sequences come out mangled; Docker 29.1 and later keep it as it is.",
	},
	unknownMethod("secretprovider", "None today: the engine has no optional SecretProvider method"+noneToday),
	inTime("secretprovider"),

	{
		Interface: "GraphDriver", ID: "removed",
		Title:           "The engine still loads graph-driver plugins.",
		Warn:            "always: it does not.",
		WarnConsequence: "Docker 28.0 and later never load graph-driver plugins; 27.x loads them only in experimental mode, with DOCKERD_DEPRECATED_GRAPHDRIVER_PLUGINS set.",
	},
	{
		Interface: "GraphDriver", ID: "capabilities",
		Title: "GraphDriver.Capabilities, sent {} as the engine sent it after Init (which the check does not send: it " +
			"changes the driver's state), answers 200, or 404.",
		Pass:            "200, or 404.",
		Fail:            "any other error.",
		FailConsequence: "Init fails, and the daemon does not start (Docker 27.x).",
	},
	unknownMethod("GraphDriver", "If the plugin lacks Capabilities, which the engine skipped only on a 404, Init fails and the daemon does not start."),
	emptyArgs("GraphDriver"),
	inTime("GraphDriver"),
}

// The probe network's addresses: TEST-NET-1 (RFC 5737), which no real
// network uses.
const (
	probePool    = "192.0.2.0/24"
	probeGateway = "192.0.2.1/24"
	probeAddress = "192.0.2.2/24"
)
