package pluginstest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// MediaType is the Content-Type of answers, the plugin SDK's.
const MediaType = "application/vnd.docker.plugins.v1.1+json"

// Reply returns a handler that answers 200 with v encoded as JSON.
func Reply(v any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, v)
	})
}

// ReplyError returns a handler that answers status with {"Err": msg}, as
// plugins report failures.
func ReplyError(status int, msg string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, status, struct{ Err string }{msg})
	})
}

// Func returns a handler that decodes the request's JSON body (if any) into
// a Req, calls fn, and answers 200 with its result as JSON, or 500 with
// {"Err": err.Error()} when it fails. A body that is not a Req is answered
// 400.
func Func[Req any](fn func(Req) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
				writeJSON(w, http.StatusBadRequest, struct{ Err string }{"decoding the request: " + err.Error()})
				return
			}
		}
		out, err := fn(req)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, struct{ Err string }{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
