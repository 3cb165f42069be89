package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

// Ingest throughput: the systems take turns, round by round, under the
// same load; each round measures the items a system accepted per CPU
// second of its process.

// round is one system's turn under one workload.
type round struct {
	system        string
	workload      workload
	n             int
	items, failed int64
	rejected      int64
	wall, cpu     float64 // seconds
	helpers       float64 // CPU seconds of PostgreSQL, Redis and S3 meanwhile
	client        float64 // CPU seconds of the load generator meanwhile
	others        float64 // CPU seconds of every other process of the machine meanwhile
	firstErr      string
}

func (r round) perCPU() float64 { return float64(r.items) / r.cpu }

// ingestRun is the systems, the loads and the results.
type ingestRun struct {
	systems     []*server
	token       string
	senders     int
	warmup, dur time.Duration
	helperPIDs  func() []int
	payloads    map[string][][]byte
	rounds      []round
	// accepted counts every item each system accepted, warm-up included
	// (Hearth's all-in cost: its CPU over the whole run per item).
	accepted map[string]int64
}

// run alternates the systems for rounds rounds of each workload, the
// order rotating each round so no system always follows the same one.
func (in *ingestRun) run(ctx context.Context, workloads []workload, rounds int, progress func(string)) error {
	for _, w := range workloads {
		for n := range rounds {
			for k := range in.systems {
				sys := in.systems[(n+k)%len(in.systems)]
				r, err := in.turn(ctx, sys, w, n+1)
				if err != nil {
					return err
				}
				in.rounds = append(in.rounds, r)
				progress(fmt.Sprintf("%-13s round %d %-15s %9.0f items/CPU-s  %8.0f items/s  CPU %.2f  helpers %.2f  client %.2f  others %.2f  failed %d %s",
					w, n+1, sys.name, r.perCPU(), float64(r.items)/r.wall, r.cpu/r.wall, r.helpers/r.wall, r.client/r.wall, r.others/r.wall, r.failed, r.firstErr))
			}
		}
	}
	return nil
}

func (in *ingestRun) turn(ctx context.Context, sys *server, w workload, n int) (round, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var c counters
	wait, err := send(ctx, sys, w, in.token, in.payloads[w.signal], in.senders, &c)
	if err != nil {
		return round{}, err
	}
	time.Sleep(in.warmup)
	helpers := in.helperPIDs()
	cpu0, err := cpuSeconds(sys.pid(), false)
	if err != nil {
		return round{}, err
	}
	self0, _ := cpuSeconds(os.Getpid(), false)
	m0 := machineBusy()
	h0, a0, f0, r0, t0 := helperCPU(helpers), c.accepted.Load(), c.failed.Load(), c.rejected.Load(), time.Now()
	time.Sleep(in.dur)
	cpu1, err := cpuSeconds(sys.pid(), false)
	if err != nil {
		return round{}, err
	}
	h1, a1, f1, r1, t1 := helperCPU(helpers), c.accepted.Load(), c.failed.Load(), c.rejected.Load(), time.Now()
	self1, _ := cpuSeconds(os.Getpid(), false)
	m1 := machineBusy()
	cancel()
	wait()
	in.accepted[sys.name] += c.accepted.Load()
	return round{
		system: sys.name, workload: w, n: n, items: a1 - a0, failed: f1 - f0, rejected: r1 - r0,
		wall: t1.Sub(t0).Seconds(), cpu: cpu1 - cpu0, helpers: h1 - h0, client: self1 - self0, firstErr: c.firstErr,
		others: (m1 - m0) - (cpu1 - cpu0) - (h1 - h0) - (self1 - self0),
	}, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
