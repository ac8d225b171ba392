// Package interop holds no code: its sub-packages test this library against
// code that its authors did not write, and live in a module of their own so
// that the library's users never download it.
//
//   - sdkplugins: plugins built with github.com/docker/go-plugins-helpers,
//     served by the SDK itself and used only through this library.
//   - engine: differential tests against the Docker engine's own client,
//     github.com/docker/docker/pkg/plugins (v28.5.2): discovery, the bytes
//     on the wire, and error texts.
//   - proxy: HTTP_PROXY, in a test binary of its own because net/http reads
//     it once per process.
//   - conformance: the checks of the conformance package (plugctl check)
//     on every server of the plugin SDK, which passes every check it can.
//
// Run them with: cd interop && go test -race ./...
package interop
