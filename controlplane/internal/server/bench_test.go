package server_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// BenchmarkGetVersion measures the whole request path of a trivial RPC
// over loopback HTTP: middleware, interceptors and, for REST, vanguard's
// transcoding. The ratio REST/Connect is the transcoding overhead.
func BenchmarkGetVersion(b *testing.B) {
	srv := servertest.Start(b)
	b.Run("connect", func(b *testing.B) {
		client := hearthv1connect.NewSystemServiceClient(http.DefaultClient, srv.URL)
		for b.Loop() {
			if _, err := client.GetVersion(b.Context(), &hearthv1.GetVersionRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rest", func(b *testing.B) {
		for b.Loop() {
			req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, srv.URL+"/api/v1/version", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}
