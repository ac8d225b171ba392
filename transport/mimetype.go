package transport

// VersionMimetype is the media type of the legacy plugin protocol that
// clients send in the Accept header of every call.
const VersionMimetype = "application/vnd.docker.plugins.v1.2+json"
