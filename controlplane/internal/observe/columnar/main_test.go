package columnar

import (
	"testing"

	"go.uber.org/goleak"
)

// A scan's concurrent reads are joined before it returns, and nothing it
// starts outlives it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
