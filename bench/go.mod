module github.com/go-dockerplugins/plugins/bench

go 1.24.0

require (
	github.com/docker/docker v28.5.2+incompatible
	github.com/docker/go-connections v0.8.2
	github.com/go-dockerplugins/plugins v0.0.0
	github.com/sirupsen/logrus v1.10.2
)

require (
	github.com/Microsoft/go-winio v0.6.2 // indirect
	github.com/containerd/log v0.2.0 // indirect
	github.com/moby/sys/atomicwriter v0.1.0 // indirect
	github.com/moby/sys/sequential v0.6.0 // indirect
	github.com/moby/sys/userns v0.2.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	golang.org/x/sys v0.41.0 // indirect
	gotest.tools/v3 v3.5.2 // indirect
)

replace github.com/go-dockerplugins/plugins => ../
