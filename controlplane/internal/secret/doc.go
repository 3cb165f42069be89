// Package secret owns secrets: values that pipelines, agent sessions and
// deployments receive, envelope-encrypted at rest (package envelope).
//
// A secret belongs to a scope — a project, a group (every project of the
// group) or the installation (every project) — and optionally to one
// environment; for one name the most specific wins: project over group
// over installation, and within a scope the environment's own over the
// one for every environment. Each scope has one active data key (DEK),
// stored only wrapped by the root key; each value version is sealed under
// a DEK with (secret id, scope, version) as associated data.
//
// Values are write-only: nothing here returns one, except Resolve, which
// the pipeline calls at dispatch to put the values a job asked for on the
// agent stream. Every change is audited in its own transaction; the
// resolution for a job is audited by the pipeline, in the dispatch's.
//
// Rotation: a new root key (with the old one still configured as a
// previous key) re-wraps every DEK in the background, leaving the values
// as they are; RotateKey gives a scope a new DEK and the values under the
// retired one are re-encrypted in the background, then the old DEK is
// deleted. Both are leader-only workers (worker.go), woken by NOTIFY.
package secret
