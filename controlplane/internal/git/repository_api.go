package git

import (
	"context"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// RepositoryAPI implements hearthv1connect.RepositoryServiceHandler:
// decode, browse, encode. Authorization is declared in Rules.
type RepositoryAPI struct {
	browser  Browser
	projects BrowseProjects
}

var _ hearthv1connect.RepositoryServiceHandler = (*RepositoryAPI)(nil)

// NewRepositoryAPI serves browsing with b, resolving owner/name through
// projects.
func NewRepositoryAPI(b Browser, projects BrowseProjects) *RepositoryAPI {
	return &RepositoryAPI{browser: b, projects: projects}
}

// Handler returns the Connect handler and its path prefix.
func (a *RepositoryAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewRepositoryServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: repo:read on the named project.
func (a *RepositoryAPI) Rules() access.Rules {
	read := access.Rule{Permission: access.RepoRead, Project: a.ProjectOf}
	return access.Rules{
		hearthv1connect.RepositoryServiceListBranchesProcedure: read,
		hearthv1connect.RepositoryServiceListTagsProcedure:     read,
		hearthv1connect.RepositoryServiceGetTreeProcedure:      read,
		hearthv1connect.RepositoryServiceGetBlobProcedure:      read,
		hearthv1connect.RepositoryServiceListCommitsProcedure:  read,
		hearthv1connect.RepositoryServiceGetCommitProcedure:    read,
		hearthv1connect.RepositoryServiceCompareProcedure:      read,
	}
}

// ownerName is every request of this service.
type ownerName interface {
	GetOwner() string
	GetName() string
}

// ProjectOf resolves the project a request names, for rules; an unknown
// project is NotFound, like one the caller cannot see.
func (a *RepositoryAPI) ProjectOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(ownerName)
	if !ok {
		return uuid.Nil, nil
	}
	return a.projects.ResolveProject(ctx, r.GetOwner(), r.GetName())
}

// repo is the repository directory of the request's project (authorized
// already by the rule).
func (a *RepositoryAPI) repo(ctx context.Context, r ownerName) (string, error) {
	id, err := a.projects.ResolveProject(ctx, r.GetOwner(), r.GetName())
	if err != nil {
		return "", err
	}
	return a.browser.Storage.Path(id), nil
}

// ListBranches lists branches and the default branch.
func (a *RepositoryAPI) ListBranches(ctx context.Context, req *hearthv1.ListBranchesRequest) (*hearthv1.ListBranchesResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	branches, def, err := a.browser.Branches(ctx, repo)
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListBranchesResponse{DefaultBranch: validUTF8(def)}
	for _, b := range branches {
		res.Branches = append(res.Branches, &hearthv1.Branch{
			Name: validUTF8(b.Name), CommitSha: b.SHA, IsDefault: b.Default, Commit: commitToProto(b.Commit),
		})
	}
	return res, nil
}

// ListTags lists tags.
func (a *RepositoryAPI) ListTags(ctx context.Context, req *hearthv1.ListTagsRequest) (*hearthv1.ListTagsResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	tags, err := a.browser.Tags(ctx, repo)
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListTagsResponse{}
	for _, t := range tags {
		pt := &hearthv1.Tag{Name: validUTF8(t.Name), CommitSha: t.CommitSHA, TagSha: t.TagSHA, Message: validUTF8(t.Message)}
		if t.Tagger != nil {
			pt.Tagger = signatureToProto(*t.Tagger)
		}
		res.Tags = append(res.Tags, pt)
	}
	return res, nil
}

// GetTree lists a directory.
func (a *RepositoryAPI) GetTree(ctx context.Context, req *hearthv1.GetTreeRequest) (*hearthv1.GetTreeResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := a.browser.Tree(ctx, repo, req.GetRef(), req.GetPath())
	if err != nil {
		return nil, err
	}
	res := &hearthv1.GetTreeResponse{CommitSha: t.CommitSHA, Path: validUTF8(t.Path), TreeSha: t.SHA}
	for _, e := range t.Entries {
		res.Entries = append(res.Entries, &hearthv1.TreeEntry{
			Name: validUTF8(e.Name), Path: validUTF8(e.Path), Type: entryTypeToProto(e.Type), Mode: e.Mode, Size: e.Size, Sha: e.SHA,
		})
	}
	return res, nil
}

// GetBlob returns a file.
func (a *RepositoryAPI) GetBlob(ctx context.Context, req *hearthv1.GetBlobRequest) (*hearthv1.GetBlobResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	b, err := a.browser.Blob(ctx, repo, req.GetRef(), req.GetPath())
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetBlobResponse{
		CommitSha: b.CommitSHA, Path: validUTF8(b.Path), Sha: b.SHA, Mode: b.Mode, Size: b.Size,
		IsBinary: b.Binary, Content: b.Content, Truncated: b.Truncated,
	}, nil
}

// ListCommits pages through history.
func (a *RepositoryAPI) ListCommits(ctx context.Context, req *hearthv1.ListCommitsRequest) (*hearthv1.ListCommitsResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	page, err := a.browser.Log(ctx, repo, req.GetRef(), req.GetPath(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListCommitsResponse{NextPageToken: page.NextPageToken}
	for _, c := range page.Commits {
		res.Commits = append(res.Commits, commitToProto(c))
	}
	return res, nil
}

// GetCommit returns a commit and its diff.
func (a *RepositoryAPI) GetCommit(ctx context.Context, req *hearthv1.GetCommitRequest) (*hearthv1.GetCommitResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	c, d, err := a.browser.Commit(ctx, repo, req.GetSha())
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetCommitResponse{Commit: commitToProto(c), Diff: diffToProto(d)}, nil
}

// Compare answers what head adds to base.
func (a *RepositoryAPI) Compare(ctx context.Context, req *hearthv1.CompareRequest) (*hearthv1.CompareResponse, error) {
	repo, err := a.repo(ctx, req)
	if err != nil {
		return nil, err
	}
	c, err := a.browser.Compare(ctx, repo, req.GetBase(), req.GetHead())
	if err != nil {
		return nil, err
	}
	return comparisonToProto(c), nil
}

func comparisonToProto(c Comparison) *hearthv1.CompareResponse {
	res := &hearthv1.CompareResponse{
		BaseCommitSha: c.BaseSHA, HeadCommitSha: c.HeadSHA, MergeBaseSha: c.MergeBase,
		TotalCommits: clampInt32(c.TotalCommits), CommitsTruncated: c.CommitsTruncated, Diff: diffToProto(c.Diff),
	}
	for _, cm := range c.Commits {
		res.Commits = append(res.Commits, commitToProto(cm))
	}
	return res
}

func signatureToProto(s Signature) *hearthv1.Signature {
	out := &hearthv1.Signature{Name: validUTF8(s.Name), Email: validUTF8(s.Email)}
	if !s.When.IsZero() {
		out.Time = timestamppb.New(s.When)
	}
	return out
}

func commitToProto(c Commit) *hearthv1.Commit {
	return &hearthv1.Commit{
		Sha: c.SHA, ParentShas: c.Parents, Author: signatureToProto(c.Author),
		Committer: signatureToProto(c.Committer), Title: validUTF8(c.Title), Message: validUTF8(c.Message),
	}
}

func entryTypeToProto(t EntryType) hearthv1.TreeEntryType {
	switch t {
	case EntryBlob:
		return hearthv1.TreeEntryType_TREE_ENTRY_TYPE_BLOB
	case EntryTree:
		return hearthv1.TreeEntryType_TREE_ENTRY_TYPE_TREE
	case EntryCommit:
		return hearthv1.TreeEntryType_TREE_ENTRY_TYPE_COMMIT
	default:
		return hearthv1.TreeEntryType_TREE_ENTRY_TYPE_UNSPECIFIED
	}
}

var fileStatusToProto = map[FileStatus]hearthv1.FileStatus{
	FileAdded:       hearthv1.FileStatus_FILE_STATUS_ADDED,
	FileModified:    hearthv1.FileStatus_FILE_STATUS_MODIFIED,
	FileDeleted:     hearthv1.FileStatus_FILE_STATUS_DELETED,
	FileRenamed:     hearthv1.FileStatus_FILE_STATUS_RENAMED,
	FileTypeChanged: hearthv1.FileStatus_FILE_STATUS_TYPE_CHANGED,
}

func diffToProto(d Diff) *hearthv1.Diff {
	out := &hearthv1.Diff{
		Additions: clampInt32(d.Additions), Deletions: clampInt32(d.Deletions), Truncated: d.Truncated,
	}
	for _, f := range d.Files {
		out.Files = append(out.Files, &hearthv1.FileDiff{
			OldPath: validUTF8(f.OldPath), NewPath: validUTF8(f.NewPath), Status: fileStatusToProto[f.Status],
			Additions: clampInt32(f.Additions), Deletions: clampInt32(f.Deletions), IsBinary: f.Binary,
			OldMode: f.OldMode, NewMode: f.NewMode, Similarity: clampInt32(f.Similarity),
			Patch: validUTF8(f.Patch), PatchTruncated: f.PatchTruncated,
		})
	}
	return out
}

// validUTF8 makes git's bytes (file names, messages, patches in any
// encoding) a valid proto string: invalid sequences become U+FFFD.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func clampInt32(n int) int32 {
	const maxInt32 = 1<<31 - 1
	return int32(min(max(n, 0), maxInt32))
}
