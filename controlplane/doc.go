// Package controlplane is the module of hearth, Hearth's control plane.
// Its code lives in cmd/hearth and internal/<feature>.
package controlplane
