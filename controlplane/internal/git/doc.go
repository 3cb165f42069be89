// Package git owns the bare repositories (one per project under
// <data-dir>/repositories, named by project id), serves them over smart
// HTTP, enforces ref rules, records push events and answers browsing
// questions. Every git process runs through the one command builder in
// command.go.
package git
