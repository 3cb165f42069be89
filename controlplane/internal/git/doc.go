// Package git owns the bare repositories (one per project under
// <data-dir>/repositories, named by project id), serves them over smart
// HTTP, enforces ref rules, records push events and answers browsing
// questions. Every git process runs through the one command builder in
// command.go.
//
// Other features reach repositories only through Repositories
// (repositories.go), keyed by project id: reading files and refs, changed
// paths, merge checks and merges, ancestry, line counts, the branch-update
// decision a merge shares with pushes, and the comparison a merge
// request's changes show. The value types it shares with them live in the
// repository leaf package, so nothing outside git knows where a
// repository lives.
package git
