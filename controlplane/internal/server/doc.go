// Package server wires the control plane together: listeners, the HTTP
// routes of the one URL space, interceptors, dependencies, and the staged
// start and reverse-order stop. It holds no feature logic: each feature
// contributes its handlers and workers, and server only lists them.
package server
