package plugins

import (
	"context"
	"io"
	"log/slog"
	"slices"

	"github.com/sirupsen/logrus"
)

// SlogLogger returns a logger for WithLogger that writes what the library
// logs to l, a log/slog logger, at the matching level and with the same
// fields as attributes:
//
//	store := plugins.NewStore(reg, plugins.WithLogger(plugins.SlogLogger(slog.Default())))
//
// (A program that logs with containerd/log, whose G(ctx) is a logrus
// entry, passes plugins.WithLogger(log.G(ctx)) as it is.)
func SlogLogger(l *slog.Logger) logrus.FieldLogger {
	lg := logrus.New()
	lg.SetOutput(io.Discard)
	lg.SetLevel(logrus.TraceLevel)
	lg.AddHook(slogHook{l})
	return lg
}

// slogHook hands every logrus entry to a slog logger.
type slogHook struct{ l *slog.Logger }

func (slogHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h slogHook) Fire(e *logrus.Entry) error {
	level := slogLevel(e.Level)
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if !h.l.Enabled(ctx, level) {
		return nil
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a map's order is random; a log line's should not be
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		v := e.Data[k]
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		attrs = append(attrs, slog.Any(k, v))
	}
	h.l.LogAttrs(ctx, level, e.Message, attrs...)
	return nil
}

func slogLevel(l logrus.Level) slog.Level {
	switch {
	case l <= logrus.ErrorLevel:
		return slog.LevelError
	case l == logrus.WarnLevel:
		return slog.LevelWarn
	case l == logrus.InfoLevel:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}
