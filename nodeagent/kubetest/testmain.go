package kubetest

import (
	"fmt"
	"os"
	"testing"
)

// MainWithControlPlane is a TestMain body for packages whose tests share
// one control plane: it starts it, hands it to use, runs the tests and
// stops it.
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.MainWithControlPlane(m, func(cp *kubetest.ControlPlane) { cluster = cp })) }
func MainWithControlPlane(m *testing.M, use func(*ControlPlane)) int {
	t := &mainTB{}
	defer t.cleanup()
	use(StartControlPlane(t))
	return m.Run()
}

// mainTB is the testing.TB a TestMain hands to the helpers: a failure
// stops the process after cleaning up.
type mainTB struct {
	testing.TB
	cleanups []func()
}

func (m *mainTB) Helper()                   {}
func (m *mainTB) Cleanup(f func())          { m.cleanups = append(m.cleanups, f) }
func (m *mainTB) Fatal(args ...any)         { m.fail(fmt.Sprint(args...)) }
func (m *mainTB) Fatalf(f string, a ...any) { m.fail(fmt.Sprintf(f, a...)) }
func (m *mainTB) Errorf(f string, a ...any) { m.fail(fmt.Sprintf(f, a...)) }
func (m *mainTB) Logf(f string, a ...any)   { fmt.Fprintf(os.Stderr, f+"\n", a...) }

func (m *mainTB) fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	m.cleanup()
	os.Exit(1)
}

func (m *mainTB) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
	m.cleanups = nil
}
