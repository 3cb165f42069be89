// Package spec parses and validates a repository's .hearth.yml: the jobs of
// a pipeline, their steps, environment, dependencies (needs), trigger rules
// (when), limits and artifacts. It is pure Go with no I/O, because the file
// is untrusted input read from any pushed commit: Parse bounds every size,
// never panics (FuzzParse), and reports what is wrong with the line and
// column of each problem, so a failed pipeline can show the author exactly
// what to fix. docs/pipelines.md is the user-facing description of the
// format; keep the two in step.
//
// YAML is read through the yaml.v3 Node API rather than decoded into
// structs, because only nodes carry positions, let us reject unknown keys
// with a suggestion, detect duplicate keys (which plain decoding silently
// keeps the last of), and bound alias expansion ourselves.
package spec
