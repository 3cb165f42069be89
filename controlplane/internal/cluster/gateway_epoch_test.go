package cluster_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
)

// fakeEpochs answers NewestEpoch with epoch, or err when set.
type fakeEpochs struct {
	epoch atomic.Uint64
	fail  atomic.Bool
}

func (f *fakeEpochs) NewestEpoch(context.Context) (uint64, error) {
	if f.fail.Load() {
		return 0, errors.New("database unreachable")
	}
	return f.epoch.Load(), nil
}

// TestWelcomeCarriesTheNewestEpoch: Welcome tells the agent the newest
// leadership epoch, so it drops commands of leaders deposed before it
// connected; an epoch that cannot be read leaves Welcome unstamped
// rather than refusing the agent.
func TestWelcomeCarriesTheNewestEpoch(t *testing.T) {
	epochs := &fakeEpochs{}
	epochs.epoch.Store(9)
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{Epochs: epochs}})
	if w := e.connect(t, e.cred, goodHello()).welcome(); w.GetEpoch() != 9 {
		t.Fatalf("Welcome epoch %d, want 9", w.GetEpoch())
	}
	epochs.fail.Store(true)
	if w := e.connect(t, e.cred, goodHello()).welcome(); w.GetEpoch() != 0 {
		t.Fatalf("Welcome epoch %d when it cannot be read, want 0", w.GetEpoch())
	}
}
