package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// Queries through the real API (Connect, as the console and CLI call it).

// The log query of issue 16: one service, warn and worse, a substring of
// the body, over one hour.
const (
	queryService  = "checkout"
	queryContains = "timeout"
	querySeverity = 13
)

// timing is one query's latency and what it cost.
type timing struct {
	d     time.Duration
	stats *hearthv1.QueryStats
	rows  int
}

// queryResult is a series of one query.
type queryResult struct {
	name string
	cold *timing // the first run after dropping the page cache, when possible
	warm []timing
}

func (q queryResult) latencies() []time.Duration {
	out := make([]time.Duration, len(q.warm))
	for i, t := range q.warm {
		out[i] = t.d
	}
	slices.Sort(out)
	return out
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// dropCaches empties the kernel's page cache so the S3 server reads the
// files from disk (needs root and a writable /proc/sys; false if not).
func dropCaches() bool {
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0) == nil
}

type queries struct {
	client hearthv1connect.ObserveServiceClient
	first  time.Time
	hours  int
}

func newQueries(url, token string, first time.Time, hours int) *queries {
	return &queries{
		client: hearthv1connect.NewObserveServiceClient(http.DefaultClient, url, connect.WithInterceptors(header{"Authorization", "Bearer " + token})),
		first:  first, hours: hours,
	}
}

// logs runs the log query runs times over random one-hour windows inside
// the data set (not aligned to hours: most span two hours' files).
func (q *queries) logs(ctx context.Context, runs int) (queryResult, error) {
	r := rand.New(rand.NewPCG(7, 7)) //nolint:gosec // G404: the same windows every run
	res := queryResult{name: fmt.Sprintf("QueryLogs service=%s severity>=warn contains=%q, 1 h window, page of 100", queryService, queryContains)}
	one := func() (timing, error) {
		from := q.first.Add(time.Duration(r.Int64N(int64(time.Duration(q.hours-1) * time.Hour))))
		began := time.Now()
		out, err := q.client.QueryLogs(ctx, &hearthv1.QueryLogsRequest{
			Owner: "admin", Name: "query", StartTime: timestamppb.New(from), EndTime: timestamppb.New(from.Add(time.Hour)),
			Services: []string{queryService}, MinSeverity: querySeverity, Contains: queryContains,
		})
		if err != nil {
			return timing{}, err
		}
		if len(out.GetLogs()) == 0 {
			return timing{}, fmt.Errorf("QueryLogs from %s found nothing", from)
		}
		return timing{d: time.Since(began), stats: out.GetStats(), rows: len(out.GetLogs())}, nil
	}
	return res, q.series(&res, runs, one)
}

// traces looks up each trace id with GetTrace (no time hints: the last
// 7 days).
func (q *queries) traces(ctx context.Context, ids [][]byte, runs int) (queryResult, error) {
	res := queryResult{name: "GetTrace by id, default range (7 days)"}
	i := 0
	one := func() (timing, error) {
		id := ids[i%len(ids)]
		i++
		began := time.Now()
		out, err := q.client.GetTrace(ctx, &hearthv1.GetTraceRequest{Owner: "admin", Name: "query", TraceId: hex.EncodeToString(id)})
		if err != nil {
			return timing{}, err
		}
		if len(out.GetSpans()) == 0 {
			return timing{}, fmt.Errorf("GetTrace %x found no span", id)
		}
		return timing{d: time.Since(began), stats: out.GetStats(), rows: len(out.GetSpans())}, nil
	}
	return res, q.series(&res, runs, one)
}

func (q *queries) series(res *queryResult, runs int, one func() (timing, error)) error {
	if dropCaches() {
		t, err := one()
		if err != nil {
			return err
		}
		res.cold = &t
	}
	for range runs {
		t, err := one()
		if err != nil {
			return err
		}
		res.warm = append(res.warm, t)
	}
	return nil
}
