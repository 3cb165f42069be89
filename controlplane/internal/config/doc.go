// Package config parses and validates the control plane's configuration
// from flags, HEARTH_* environment variables and an optional YAML file, in
// that order of precedence. It is parsed once in main and passed down; no
// other package reads flags or the environment.
package config
