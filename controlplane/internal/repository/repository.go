package repository

import (
	"errors"
	"strconv"
)

// RefUpdate is one ref a push or a merge moved (Old or New all zeros:
// created or deleted). git records it in its push outbox; pipeline and
// merge requests consume it.
type RefUpdate struct {
	Ref string `json:"ref"`
	Old string `json:"old"`
	New string `json:"new"`
}

// ErrRefMoved is wrapped by the error of a ref update that found the ref no
// longer at the commit the caller saw (a concurrent push won): recompute
// and retry.
var ErrRefMoved = errors.New("ref moved")

// ErrFileTooLarge is the answer of a file read for a file larger than the
// caller's limit.
var ErrFileTooLarge = errors.New("file too large")

// MergeMethod is how a merge request lands on its target branch.
type MergeMethod int

// Merge methods.
const (
	MergeCommit MergeMethod = iota + 1 // a merge commit with two parents
	Squash                             // one commit on top of the target with the merged tree
	FastForward                        // move the target to the source
)

func (m MergeMethod) String() string {
	switch m {
	case MergeCommit:
		return "merge"
	case Squash:
		return "squash"
	case FastForward:
		return "fast-forward"
	default:
		return "method(" + strconv.Itoa(int(m)) + ")"
	}
}

// MergeCheck is what merging a source commit into a target commit would
// do.
type MergeCheck struct {
	TargetCommit, SourceCommit, MergeBase string
	Clean                                 bool
	Conflicts                             []string
	// FastForward: the target is an ancestor of the source.
	FastForward bool
	// UpToDate: the source is already in the target.
	UpToDate bool
	// Unrelated: the two commits share no history (nothing else is set
	// but the commits).
	Unrelated bool
}

// MergeSpec is one merge to perform on a branch (a short name, "main").
type MergeSpec struct {
	Method       MergeMethod
	TargetBranch string
	// TargetCommit is where the target must still be (compare-and-swap).
	TargetCommit   string
	SourceCommit   string
	CommitterName  string
	CommitterEmail string
	Message        string
}
