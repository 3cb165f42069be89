package observe

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// SelfProjects finds (creating it when missing) the project Hearth's own
// telemetry goes to: "owner/name", created private and owned by the user
// owner.
type SelfProjects interface {
	EnsureProject(ctx context.Context, owner, name string) (uuid.UUID, error)
}

// SelfTelemetry feeds Hearth's own spans (HTTP and Connect requests, jobs,
// pipelines) and log records to its own storage, into one project, as if
// a workload had sent them. It never blocks its callers: a full queue
// drops (counted), and nothing is stored until the project exists.
type SelfTelemetry struct {
	svc      *Service
	projects SelfProjects
	owner    string
	name     string
	queue    chan selfItem
	dropped  atomic.Int64
}

type selfItem struct {
	span *record.Span
	log  *record.Log
}

// SelfService is the service.name of Hearth's own telemetry.
const SelfService = "hearth"

// newSelfTelemetry feeds path ("owner/name") with Hearth's own telemetry;
// its Run runs as the module's worker.
func (s *Service) newSelfTelemetry(path string, projects SelfProjects) (*SelfTelemetry, error) {
	owner, name, ok := strings.Cut(path, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("self-telemetry project %q: want owner/name", path)
	}
	return &SelfTelemetry{svc: s, projects: projects, owner: owner, name: name, queue: make(chan selfItem, 10000)}, nil
}

// Span records one finished span.
func (t *SelfTelemetry) Span(sp record.Span) {
	if t == nil {
		return
	}
	sp.Service = SelfService
	t.offer(selfItem{span: &sp})
}

func (t *SelfTelemetry) offer(it selfItem) {
	select {
	case t.queue <- it:
	default:
		t.dropped.Add(1)
	}
}

// WriteLevel takes one JSON log line of the server's logger (as a
// zerolog.LevelWriter): info and above become log records.
func (t *SelfTelemetry) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	if t == nil || level < zerolog.InfoLevel || level == zerolog.NoLevel {
		return len(p), nil
	}
	var fields map[string]any
	if err := json.Unmarshal(p, &fields); err != nil {
		return len(p), nil //nolint:nilerr // not a JSON line: not ours to store
	}
	l := &record.Log{Service: SelfService, Severity: severityOf(level), SeverityText: strings.ToUpper(level.String()), Attributes: map[string]string{}}
	now := time.Now()
	l.TimeNano, l.ObservedNano = now.UnixNano(), now.UnixNano()
	for k, v := range fields {
		switch k {
		case zerolog.MessageFieldName:
			l.Body, _ = v.(string)
		case zerolog.LevelFieldName, zerolog.TimestampFieldName:
		default:
			l.Attributes[k] = fmt.Sprint(v)
		}
	}
	t.offer(selfItem{log: l})
	return len(p), nil
}

// Write is WriteLevel without a level (never called by zerolog's
// multi-level writer; here for io.Writer).
func (t *SelfTelemetry) Write(p []byte) (int, error) { return len(p), nil }

func severityOf(l zerolog.Level) int32 {
	switch l {
	case zerolog.InfoLevel:
		return 9
	case zerolog.WarnLevel:
		return 13
	case zerolog.ErrorLevel:
		return 17
	default:
		return 21
	}
}

// Run stores what was queued every half second, once the project exists.
func (t *SelfTelemetry) Run(ctx context.Context) error {
	var project uuid.UUID
	lastTry := time.Time{}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if project == uuid.Nil {
			// Until the project exists the queue keeps what fits.
			if time.Since(lastTry) < 30*time.Second {
				continue
			}
			lastTry = time.Now()
			id, err := t.projects.EnsureProject(ctx, t.owner, t.name)
			if err != nil {
				t.svc.log.Warn().Err(err).Str(logfield.Project, t.owner+"/"+t.name).Msg("self-telemetry has no project to go to yet")
				continue
			}
			project = id
		}
		b := &record.Batch{Project: project.String()}
		t.drain(b)
		if b.Len() == 0 {
			continue
		}
		for i := range b.Spans {
			b.Spans[i].Project = b.Project
		}
		for i := range b.Logs {
			b.Logs[i].Project = b.Project
		}
		if err := t.svc.store(ctx, "", b); err != nil && ctx.Err() == nil {
			t.dropped.Add(int64(b.Len()))
		}
	}
}

// drain empties the queue into b.
func (t *SelfTelemetry) drain(b *record.Batch) {
	for {
		select {
		case it := <-t.queue:
			switch {
			case it.span != nil:
				b.Spans = append(b.Spans, *it.span)
			case it.log != nil:
				b.Logs = append(b.Logs, *it.log)
			}
		default:
			return
		}
	}
}

// NewTraceID returns a random trace id; NewSpanID a random span id.
func NewTraceID() []byte { return randomBytes(16) }

// NewSpanID returns a random span id.
func NewSpanID() []byte { return randomBytes(8) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
