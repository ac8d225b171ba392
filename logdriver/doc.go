// Package logdriver is a typed client for logging plugins: the "LogDriver"
// interface, whose methods are LogDriver.Capabilities,
// LogDriver.StartLogging, LogDriver.StopLogging and LogDriver.ReadLogs, and
// a reader and a writer of the log entries they exchange.
//
// For each container, the engine asks the plugin's capabilities, creates a
// FIFO, and calls StartLogging with the FIFO's path; it then writes the
// container's output to the FIFO as framed entries (EntryWriter's format,
// which EntryReader reads), and calls StopLogging when the container stops.
// If the plugin can read logs back, the engine calls ReadLogs for
// "docker logs" and reads entries of the same format from the answer.
// The engine supports logging plugins on Linux and FreeBSD only; this
// client builds anywhere.
//
// A 200 answer with a non-empty Err is an error, whose text is Err as is
// (a *plugins.AnswerError); any other status is a *plugins.StatusError,
// "LogDriver.<Method>: <message>". Capabilities is optional.
//
// Usage, in a daemon:
//
//	p, err := plugins.Get("mylogs", logdriver.Interface)
//	if err != nil {
//		return err
//	}
//	logs, err := logdriver.FromPlugin(p)
//	if err != nil {
//		return err
//	}
//	caps, _ := logs.Capabilities(ctx) // the engine ignores its errors
//	err = logs.StartLogging(ctx, logdriver.StartLoggingRequest{File: fifo, Info: info})
//	if err != nil {
//		return fmt.Errorf("error creating logger: %w", err)
//	}
//	if caps.ReadLogs {
//		stream, err := logs.ReadLogs(ctx, logdriver.ReadLogsRequest{Info: info, Config: logdriver.ReadConfig{Tail: -1}})
//		if err != nil {
//			return fmt.Errorf("error getting log reader: %w", err)
//		}
//		defer stream.Close()
//		entries := logdriver.NewEntryReader(stream)
//		for {
//			e, err := entries.Next()
//			if err != nil {
//				break // io.EOF at the end
//			}
//			fmt.Printf("%s %s: %s\n", e.Time().Format(time.RFC3339Nano), e.Source, e.Line)
//		}
//	}
package logdriver
