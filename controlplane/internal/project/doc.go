// Package project is the project feature: projects and everything people
// do in one, except the repository itself (git) and pipelines (pipeline).
//
// # What it owns
//
//   - projects (queries.sql, service.go, list.go, lifecycle.go): create
//     with the creator's owner binding in the same transaction, get by path
//     or id, list what the caller may read, update, rename, transfer,
//     archive and delete; the owner namespace (a user or a group) and the
//     reserved names it refuses;
//   - groups (groups.sql, groups.go): the groups table, which owns
//     projects (it is the only record of which group owns which project);
//     members of projects and groups (members.go) are rbac role bindings,
//     which it manages through the Memberships interface;
//   - the Directory (directory.go): a reader of its tables alone, built
//     before rbac and auth, answering rbac (who may see a project or a
//     group, which group owns a project) and auth (whether a group holds a
//     name a new user wants);
//   - issues (issues.go): per-project numbers, assignees, comments,
//     mentions and full-text search; labels (labels.sql, labels.go);
//   - merge requests (merge_requests*.go): reviews and reviewers, line
//     comments, mergeability, merging, and the refresh after pushes
//     (RefsMoved and the Run worker);
//   - events (events.sql, events.go): what happened in a project, published
//     to an EventSink inside the change's own transaction and kept in
//     project_events until the notifications feature consumes them;
//   - the Connect APIs of all of these (ProjectService, GroupService,
//     IssueService, MergeRequestService; *_api.go), each with its rules and
//     the per-request needs the interceptor decides (needs_api.go).
//
// The repository (git), pipelines (pipeline), role bindings (rbac) and
// users (auth) stay with their features; this package reaches them through
// the small interfaces it defines (service.go, merge_requests.go).
package project
