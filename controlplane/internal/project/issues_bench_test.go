package project_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

type noRepos struct{}

func (noRepos) Create(context.Context, uuid.UUID, string) error { return nil }
func (noRepos) Remove(context.Context, uuid.UUID) error         { return nil }

func (noRepos) SetDefaultBranch(context.Context, uuid.UUID, string) error { return nil }

type noRoles struct{}

func (noRoles) CreateBindingTx(context.Context, pgx.Tx, string, uuid.UUID, uuid.UUID) (access.Binding, error) {
	return access.Binding{}, nil
}

func (noRoles) Invalidate(context.Context) error { return nil }

func (noRoles) Authorize(context.Context, access.Principal, access.Permission, uuid.UUID) error {
	return nil
}

// BenchmarkIssues lists and searches a project holding 100,000 issues and
// reports the p99 latency of one call (the acceptance bounds: list 50 < 20
// ms, search < 100 ms). Run with: go test -run '^$' -bench Issues -benchtime 500x.
func BenchmarkIssues(b *testing.B) {
	ctx := b.Context()
	d := testsvc.NewDatabase(b)
	svc, err := project.New(project.Deps{DB: d, Logger: zerolog.Nop(), Repositories: noRepos{}, Roles: noRoles{}})
	if err != nil {
		b.Fatal(err)
	}
	var pid uuid.UUID
	if err := d.Pool.QueryRow(ctx, `INSERT INTO projects (owner_id, owner_name, name) VALUES (gen_random_uuid(), 'ada', 'big') RETURNING id`).Scan(&pid); err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	if _, err := d.Pool.Exec(ctx, `
		INSERT INTO issues (project_id, number, title, body, state, author_id, author_name)
		SELECT $1, g,
		       'issue ' || g || ' ' || (ARRAY['crash','parser','docs','slow','logo','login','deploy','cache'])[1 + g % 8],
		       md5(g::text) || ' ' || md5((g * 7)::text) || ' happens when ' || (ARRAY['starting','pushing','cloning','merging'])[1 + g % 4],
		       CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END, gen_random_uuid(), 'ada'
		FROM generate_series(1, $2::int) g`, pid, n); err != nil {
		b.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `INSERT INTO issue_counters (project_id, last) VALUES ($1, $2)`, pid, n); err != nil {
		b.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `ANALYZE issues`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    project.IssueFilter
	}{
		{"list50", project.IssueFilter{State: project.IssueOpen, Limit: 50}},
		{"list50-page-deep", project.IssueFilter{State: project.IssueOpen, Limit: 50, Before: 1000}},
		{"search-common", project.IssueFilter{Query: "crash", Limit: 50}},
		{"search-rare", project.IssueFilter{Query: "issue 77777", Limit: 50}},
	} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				got, err := svc.ListIssues(ctx, pid, c.f)
				lat = append(lat, time.Since(start))
				if err != nil || len(got) == 0 {
					b.Fatalf("%d issues, %v", len(got), err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
