// Package shared holds the little both binaries need: generated API code
// (gen/), log field names (logfield), logger setup (logging), build version
// (version), retry backoff (backoff), the validators of git names both
// binaries check (gitref) and the masking of secrets in job logs, done on
// the agent and again on the control plane (logmask), and the OTLP/JSON
// decoding both receivers need (otlpjson). Keep it thin: anything only one
// binary uses lives in that binary's module.
package shared
