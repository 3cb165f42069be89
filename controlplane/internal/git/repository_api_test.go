package git

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func newRepositoryClient(t *testing.T, f *browseFixture) (*RepositoryAPI, hearthv1connect.RepositoryServiceClient) {
	t.Helper()
	api := NewRepositoryAPI(f.b, fakeProjects{id: f.id})
	mux := http.NewServeMux()
	mux.Handle(api.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return api, hearthv1connect.NewRepositoryServiceClient(srv.Client(), srv.URL)
}

func TestRepositoryAPIRules(t *testing.T) {
	f := newBrowseFixture(t)
	api, _ := newRepositoryClient(t, f)
	rules := api.Rules()
	if len(rules) != 7 {
		t.Errorf("%d rules, want one per RPC (7)", len(rules))
	}
	for proc, r := range rules {
		if !strings.HasPrefix(proc, "/hearth.v1.RepositoryService/") || r.Permission != access.RepoRead || r.Project == nil || r.Public || r.Authenticated {
			t.Errorf("%s: %+v", proc, r)
		}
		id, err := r.Project(context.Background(), &hearthv1.GetTreeRequest{Owner: "ada", Name: "tools"})
		if err != nil || id != f.id {
			t.Errorf("%s: project %v, %v", proc, id, err)
		}
		if _, err := r.Project(context.Background(), &hearthv1.GetTreeRequest{Owner: "ada", Name: "nope"}); err == nil {
			t.Errorf("%s: unknown project resolved", proc)
		}
	}
	if id, err := api.ProjectOf(context.Background(), struct{}{}); id != uuid.Nil || err != nil {
		t.Errorf("ProjectOf(other) = %v, %v", id, err)
	}
}

func TestRepositoryAPI(t *testing.T) {
	f := newBrowseFixture(t)
	// A file name and message that are not UTF-8 still encode.
	f.write(t, "caf\xe9.txt", "latin-1 \xe9\n")
	latin := f.commit(t, "caf\xe9")
	f.push(t)
	_, c := newRepositoryClient(t, f)
	ctx := context.Background()

	br, err := c.ListBranches(ctx, &hearthv1.ListBranchesRequest{Owner: "ada", Name: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	if br.GetDefaultBranch() != "main" || len(br.GetBranches()) != 2 || !br.GetBranches()[1].GetIsDefault() ||
		br.GetBranches()[1].GetCommit().GetAuthor().GetTime() == nil {
		t.Errorf("branches %v", br)
	}
	tags, err := c.ListTags(ctx, &hearthv1.ListTagsRequest{Owner: "ada", Name: "tools"})
	if err != nil || len(tags.GetTags()) != 2 || tags.GetTags()[1].GetTagger().GetName() != "Charles Babbage" {
		t.Errorf("tags %v %v", tags, err)
	}
	tree, err := c.GetTree(ctx, &hearthv1.GetTreeRequest{Owner: "ada", Name: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]hearthv1.TreeEntryType{}
	for _, e := range tree.GetEntries() {
		types[e.GetName()] = e.GetType()
	}
	if types["src"] != hearthv1.TreeEntryType_TREE_ENTRY_TYPE_TREE || types["sub"] != hearthv1.TreeEntryType_TREE_ENTRY_TYPE_COMMIT ||
		types["README.md"] != hearthv1.TreeEntryType_TREE_ENTRY_TYPE_BLOB || types["caf\uFFFD.txt"] != hearthv1.TreeEntryType_TREE_ENTRY_TYPE_BLOB {
		t.Errorf("tree types %v", types)
	}
	blob, err := c.GetBlob(ctx, &hearthv1.GetBlobRequest{Owner: "ada", Name: "tools", Ref: "v1", Path: "src/main.go"})
	if err != nil || string(blob.GetContent()) != "package main\n" || blob.GetIsBinary() {
		t.Errorf("blob %v %v", blob, err)
	}
	commits, err := c.ListCommits(ctx, &hearthv1.ListCommitsRequest{Owner: "ada", Name: "tools", PageSize: 2})
	if err != nil || len(commits.GetCommits()) != 2 || commits.GetNextPageToken() == "" || commits.GetCommits()[0].GetSha() != latin {
		t.Fatalf("commits %v %v", commits, err)
	}
	next, err := c.ListCommits(ctx, &hearthv1.ListCommitsRequest{Owner: "ada", Name: "tools", PageSize: 2, PageToken: commits.GetNextPageToken()})
	if err != nil || len(next.GetCommits()) != 2 || next.GetCommits()[0].GetSha() != f.commits[5] {
		t.Errorf("second page %v %v", next, err)
	}
	one, err := c.GetCommit(ctx, &hearthv1.GetCommitRequest{Owner: "ada", Name: "tools", Sha: f.commits[1]})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[hearthv1.FileStatus]int{}
	for _, fd := range one.GetDiff().GetFiles() {
		statuses[fd.GetStatus()]++
	}
	if statuses[hearthv1.FileStatus_FILE_STATUS_ADDED] != 2 || statuses[hearthv1.FileStatus_FILE_STATUS_RENAMED] != 1 ||
		statuses[hearthv1.FileStatus_FILE_STATUS_DELETED] != 1 || statuses[hearthv1.FileStatus_FILE_STATUS_MODIFIED] != 1 {
		t.Errorf("commit statuses %v", statuses)
	}
	latinCommit, err := c.GetCommit(ctx, &hearthv1.GetCommitRequest{Owner: "ada", Name: "tools", Sha: latin})
	if err != nil || !utf8.ValidString(latinCommit.GetCommit().GetTitle()) ||
		!strings.HasPrefix(latinCommit.GetCommit().GetTitle(), "caf") || len(latinCommit.GetDiff().GetFiles()) != 1 {
		t.Errorf("latin-1 commit %v %v", latinCommit.GetCommit(), err)
	}
	cmp, err := c.Compare(ctx, &hearthv1.CompareRequest{Owner: "ada", Name: "tools", Base: "main", Head: "feature"})
	if err != nil || cmp.GetTotalCommits() != 1 || cmp.GetMergeBaseSha() != f.commits[1] || len(cmp.GetDiff().GetFiles()) != 1 {
		t.Errorf("compare %v %v", cmp, err)
	}

	for name, call := range map[string]func() error{
		"unknown project": func() error {
			_, err := c.ListBranches(ctx, &hearthv1.ListBranchesRequest{Owner: "ada", Name: "nope"})
			return err
		},
		"unknown ref": func() error {
			_, err := c.GetTree(ctx, &hearthv1.GetTreeRequest{Owner: "ada", Name: "tools", Ref: "nope"})
			return err
		},
	} {
		// Without the server's error interceptor apperr arrives as Unknown
		// or NotFound; what matters is that it fails.
		var ce *connect.Error
		if err := call(); !errors.As(err, &ce) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
