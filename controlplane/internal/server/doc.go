// Package server wires the control plane together: listeners, the stores
// and Raft, the HTTP routes of the one URL space, interceptors, and the
// staged start and reverse-order stop. It holds no feature logic: each
// feature hands over a module.Module (its APIs with their rules, mounts
// and workers), built in dependency order in modules.go; wiring.go only
// converts one feature's types into another's.
package server
