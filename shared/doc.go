// Package shared holds the little both binaries need: generated API code
// (gen/), log field names (logfield), logger setup (logging), build version
// (version), retry backoff (backoff) and the validators of git names both
// binaries check (gitref). Keep it thin: anything only one
// binary uses lives in that binary's module.
package shared
