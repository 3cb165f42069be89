// Package e2e holds scenario tests of the whole system: a control plane
// (servertest, against real PostgreSQL, Redis and S3), real hearth-agent
// processes built from this checkout, real git pushes, and a TCP proxy
// between them that can cut connections. Benchmarks of the pipeline path
// live here too (make bench).
package e2e
