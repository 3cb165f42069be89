// Package cli implements the hearth command: dispatching to `server` and
// `dev`, and the client commands that call the API (`version`, and what
// later features add). It maps errors to exit codes: 2 for bad usage,
// configuration or a failed start, 1 for a failure while running.
package cli
