package testkit

// TB is the part of testing.TB that the kit uses, as pluginstest.TB is:
// *testing.T, *testing.B, *testing.F and pluginstest.Scope satisfy it.
// Fatalf must not return.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Errorf reports a failure that happens off the test's goroutine, in a
// timer say: through t's Errorf when it has one, since Fatalf may only be
// called from the test's goroutine; through Fatalf otherwise.
func Errorf(t TB, format string, args ...any) {
	if e, ok := t.(interface{ Errorf(string, ...any) }); ok {
		e.Errorf(format, args...)
		return
	}
	t.Fatalf(format, args...)
}
