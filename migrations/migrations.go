// Package migrations embeds Hearth's versioned SQL migrations.
//
// Files are named YYYYMMDDNNNNNN_name.up.sql (golang-migrate's format). A
// migration is never edited once it has landed: add a new one. Each feature
// creates and alters only its own tables. The control plane applies them at
// start under a PostgreSQL advisory lock (controlplane/internal/store).
package migrations

import "embed"

// FS holds every *.sql file of this directory.
//
//go:embed *.sql
var FS embed.FS
