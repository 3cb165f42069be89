package observe_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/servertest"
)

func bodiesN(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

// TestRateLimit: a project over its rate gets OTLP's retryable answers —
// 429 with Retry-After over HTTP, RESOURCE_EXHAUSTED with RetryInfo over
// gRPC — and a batch larger than the burst a final 413; another project
// is not held back.
func TestRateLimit(t *testing.T) {
	w := newWorld(t, servertest.WithConfig(func(c *config.Config) { c.Observe.Rate, c.Observe.Burst = 1, 20 }))
	post := func(token string, n int, prefix string) (int, http.Header) {
		t.Helper()
		pb, err := proto.Marshal(logsRequest("api", time.Now(), bodiesN(n, prefix)...))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.srv.URL+"/v1/logs", strings.NewReader(string(pb)))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res.StatusCode, res.Header
	}
	if code, _ := post(w.appWriter, 15, "first"); code != http.StatusOK {
		t.Fatalf("within the burst: %d", code)
	}
	code, h := post(w.appWriter, 15, "second")
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("over the rate: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	if code, _ := post(w.appWriter, 21, "huge"); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a batch over the burst: %d", code)
	}
	if code, _ := post(w.otherWriter, 15, "other"); code != http.StatusOK {
		t.Fatalf("another project: %d", code)
	}
	conn, err := grpc.NewClient(strings.TrimPrefix(w.srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+w.appWriter)
	_, err = collogspb.NewLogsServiceClient(conn).Export(ctx, logsRequest("api", time.Now(), bodiesN(15, "grpc")...))
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Fatalf("gRPC over the rate: %v, retry info %v", err, retry)
	}
}
