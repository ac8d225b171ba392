package logdriver

import "time"

// Info describes a container to the plugin, as the engine fills it. No key
// is ever left out: nil maps and slices are sent as null, and a zero time as
// "0001-01-01T00:00:00Z".
type Info struct {
	// Config holds the container's log options (--log-opt).
	Config map[string]string `json:"Config"`
	// ContainerID is the container's full ID.
	ContainerID string `json:"ContainerID"`
	// ContainerName is the container's name as the engine stores it, with
	// a leading slash.
	ContainerName string `json:"ContainerName"`
	// ContainerEntrypoint is the path of the container's entry point.
	ContainerEntrypoint string `json:"ContainerEntrypoint"`
	// ContainerArgs are the entry point's arguments.
	ContainerArgs []string `json:"ContainerArgs"`
	// ContainerImageID is the ID of the container's image.
	ContainerImageID string `json:"ContainerImageID"`
	// ContainerImageName is the image's name as the container was created with.
	ContainerImageName string `json:"ContainerImageName"`
	// ContainerCreated is when the container was created.
	ContainerCreated time.Time `json:"ContainerCreated"`
	// ContainerEnv is the container's environment, KEY=value each.
	ContainerEnv []string `json:"ContainerEnv"`
	// ContainerLabels are the container's labels.
	ContainerLabels map[string]string `json:"ContainerLabels"`
	// LogPath is empty for plugins.
	LogPath string `json:"LogPath"`
	// DaemonName is "docker".
	DaemonName string `json:"DaemonName"`
}

// ReadConfig says which entries ReadLogs asks for. No key is ever left
// out; a zero time is sent as "0001-01-01T00:00:00Z".
type ReadConfig struct {
	// Since, unless zero, asks for the entries from this time on; the
	// engine also drops older entries itself.
	Since time.Time `json:"Since"`
	// Until, unless zero, asks for the entries up to this time; the engine
	// also stops at the first later entry itself.
	Until time.Time `json:"Until"`
	// Tail is how many of the last entries to send; -1 means all.
	Tail int `json:"Tail"`
	// Follow asks for new entries as they come, until the call ends.
	Follow bool `json:"Follow"`
}

// Capability is what a plugin can do besides taking logs.
type Capability struct {
	// ReadLogs says the plugin serves ReadLogs, for "docker logs".
	ReadLogs bool `json:"ReadLogs"`
}

// CapabilitiesResponse is the answer to Capabilities. The capabilities are
// nested under Cap: the plugin documentation's {"ReadLogs": true} is wrong,
// and the engine reads such an answer as no capabilities.
type CapabilitiesResponse struct {
	// Cap is the plugin's capabilities.
	Cap Capability `json:"Cap"`
	// Err, if not empty, is the plugin's error.
	Err string `json:"Err"`
}

// StartLoggingRequest asks the plugin to take a container's logs from a FIFO.
type StartLoggingRequest struct {
	// File is the FIFO the engine writes entries to, as
	// /run/docker/logging/<random 64-hex ID> (for a managed plugin, a path
	// inside its root file system, though File does not say so).
	File string `json:"File"`
	// Info describes the container.
	Info Info `json:"Info"`
}

// StopLoggingRequest asks the plugin to stop taking logs from a FIFO.
type StopLoggingRequest struct {
	// File is the FIFO given to StartLogging.
	File string `json:"File"`
}

// ReadLogsRequest asks the plugin for a container's logs.
type ReadLogsRequest struct {
	// Info describes the container, as given to StartLogging.
	Info Info `json:"Info"`
	// Config says which entries to send.
	Config ReadConfig `json:"Config"`
}

// Response is the answer to StartLogging and StopLogging.
type Response struct {
	// Err, if not empty, is the plugin's error.
	Err string `json:"Err"`
}
