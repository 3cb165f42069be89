// Package project owns projects: who owns them, their names, visibility
// and default branch. For now it creates and finds projects so the git
// feature has something to hang repositories on; the project feature
// (groups, members, issues, merge requests) completes it. It answers rbac's
// visibility questions. Issues (issues.go, issues_api.go): per-project
// numbers, labels, assignees, comments and full-text search.
package project
