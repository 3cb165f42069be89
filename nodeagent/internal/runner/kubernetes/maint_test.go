package kubernetes

import (
	"fmt"
	"os"
	"testing"
)

// mainT is the testing.TB TestMain hands to helpers that need one.
type mainT struct {
	testing.TB
	failed   bool
	cleanups []func()
}

func (m *mainT) Helper()                   {}
func (m *mainT) Cleanup(f func())          { m.cleanups = append(m.cleanups, f) }
func (m *mainT) Fatal(args ...any)         { m.fail(fmt.Sprint(args...)) }
func (m *mainT) Fatalf(f string, a ...any) { m.fail(fmt.Sprintf(f, a...)) }
func (m *mainT) Errorf(f string, a ...any) { m.fail(fmt.Sprintf(f, a...)) }
func (m *mainT) fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	m.failed = true
	m.cleanup()
	os.Exit(1)
}

func (m *mainT) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
	m.cleanups = nil
}
