// Package gatewaytest is a fake control plane for agent-only tests: an
// httptest server speaking h2c (HTTP/2 without TLS, as the real control
// plane does on loopback) that serves RegistrationService and AgentService
// from memory.
//
// It follows the control plane's rules where the agent depends on them
// (per (job, step) only contiguous log bytes are stored, duplicates and
// overlaps are dropped by offset, a gap is refused with a LogAck of the
// stored end; statuses and chunks are acknowledged once stored), records
// everything the agent sends, and has hooks to misbehave: push RunJob,
// CancelJob or Drain, drop connections, delay or withhold acknowledgements,
// refuse chunks, refuse credentials, stay silent. Forwarded telemetry
// (ExportTelemetry) is stored once per batch id, a repeat answered
// duplicate, and can be failed with any code (SetExportHook). It also checks protocol
// rules the agent must keep (Hello first, a final status only after every
// log byte was stored) and records violations instead of failing at once,
// so a test can assert Violations() is empty.
//
// It never links the control plane (see deps_test.go): it is a second,
// small implementation of the same contract.
package gatewaytest
