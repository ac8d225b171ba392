// Package pluginserver is the plugin the benchmarks call: an HTTP plugin
// on a UNIX socket, and a raw socket that streams bytes for the baselines.
// It runs in a process of its own, so that the client's CPU time can be
// measured apart from the server's.
package pluginserver

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

// Socket names in the directory the server is given.
const (
	HTTPSocket = "plugin.sock"
	RawSocket  = "raw.sock"
)

// Methods the plugin implements besides /Plugin.Activate.
const (
	// Echo answers a small JSON object, like a volume driver's Mount.
	Echo = "VolumeDriver.Mount"
	// Stream answers Size bytes (query parameter), chunked.
	Stream = "Bench.Stream"
	// Sink reads the request body and answers how many bytes it read.
	Sink = "Bench.Sink"
)

// Raw socket operations: a 1-byte opcode and an 8-byte big-endian size.
const (
	RawSend    = 'S' // the server sends size bytes
	RawReceive = 'R' // the server reads size bytes and answers one byte
)

const bufSize = 256 << 10

// Run serves the plugin in dir until the process is killed.
func Run(dir string) error {
	hl, err := net.Listen("unix", filepath.Join(dir, HTTPSocket))
	if err != nil {
		return err
	}
	rl, err := net.Listen("unix", filepath.Join(dir, RawSocket))
	if err != nil {
		return err
	}
	go serveRaw(rl)
	return http.Serve(hl, http.HandlerFunc(handle))
}

var payload = make([]byte, bufSize)

func handle(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/Plugin.Activate":
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
		_, _ = io.WriteString(w, `{"Implements":["VolumeDriver"]}`)
	case "/" + Echo:
		var req struct{ Name, ID string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"Err":"bad request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
		_, _ = io.WriteString(w, `{"Mountpoint":"/var/lib/bench/`+req.Name+`","Err":""}`)
	case "/" + Stream:
		size, _ := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
		for size > 0 {
			n, err := w.Write(payload[:min(size, bufSize)])
			if err != nil {
				return
			}
			size -= int64(n)
		}
	case "/" + Sink:
		buf := make([]byte, bufSize)
		var total int64
		for {
			n, err := r.Body.Read(buf)
			total += int64(n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `{"N":`+strconv.FormatInt(total, 10)+`}`)
	default:
		http.Error(w, `{"Err":"no such method"}`, http.StatusNotFound)
	}
}

func serveRaw(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		go rawConn(conn)
	}
}

func rawConn(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	buf := make([]byte, bufSize)
	var op [9]byte
	for {
		if _, err := io.ReadFull(br, op[:]); err != nil {
			return
		}
		size := int64(binary.BigEndian.Uint64(op[1:]))
		switch op[0] {
		case RawSend:
			for size > 0 {
				n, err := conn.Write(payload[:min(size, bufSize)])
				if err != nil {
					return
				}
				size -= int64(n)
			}
		case RawReceive:
			if _, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, io.LimitReader(br, size), buf); err != nil {
				return
			}
			if _, err := conn.Write(op[:1]); err != nil {
				return
			}
		default:
			return
		}
	}
}
