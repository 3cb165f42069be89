// Package otlp is the node agent's OTLP edge collector: workloads (jobs,
// and later any pod of the cluster) export traces, logs and metrics to
// the agent, which keeps them on disk and forwards them to the control
// plane over the agent's own connection (AgentService.ExportTelemetry).
//
// It owns:
//
//   - the Receiver (receiver.go, http.go, grpc.go, body.go, status.go): an
//     http.Handler serving OTLP/HTTP (POST /v1/traces, /v1/logs,
//     /v1/metrics; application/x-protobuf or application/json; gzip or
//     not) and OTLP/gRPC (the collector services' Export, as connect-go
//     unary handlers) on one listener (Serve: HTTP/1.1 and h2c). Bodies
//     are bounded by MaxRequestBytes on the wire and after gzip (a gzip
//     bomb costs at most that much inflation); errors are OTLP's
//     google.rpc.Status with 400, 401, 413, 415, 429 or 503 (Retry-After
//     on the last two), or the matching gRPC codes (RetryInfo on
//     RESOURCE_EXHAUSTED when retrying helps). OTLP/JSON (hex ids, see
//     shared/otlpjson) and gRPC exports are re-encoded as protobuf;
//     protobuf bodies are decoded to check them and queued as received.
//     At most MaxConcurrent exports are read at once. Messages are OTLP's
//     TracesData, LogsData and MetricsData, identical on the wire to the
//     Export*ServiceRequest messages, whose packages would link grpc-go
//     (signal.go).
//   - Tenancy (tenancy.go): whose data an export is, decided before its
//     body is read. Today a request must carry the workload's own token
//     (Authorization: Bearer, BearerToken; jobs get theirs in
//     OTEL_EXPORTER_OTLP_HEADERS); without one it is refused (401) and
//     counted as unmapped. The decision is one function (Tenancy) so that
//     a namespace→token map for workloads that are not jobs (pods of a
//     Kubernetes namespace, found by the request's source address) can be
//     added beside it.
//   - the Queue (queue.go, queue_frame.go, queue_files.go): a disk-backed,
//     bounded FIFO in <data-dir>/otlp-queue (0700; files 0600, since it
//     holds tokens). Append-only segment files of entries framed with a
//     length and a CRC-32C; each entry carries its signal, token, payload,
//     item count and a sequence number, which with the queue's persisted
//     random id makes the batch id (<id>/<seq>). Sequence numbers are
//     reserved on disk in blocks, so they only grow, across restarts and
//     crashes. An fsync'd cursor records what the control plane
//     acknowledged; entries after it are delivered again after a restart
//     (the same batch ids: the control plane answers duplicate and stores
//     nothing twice). Past MaxBytes whole oldest segments are deleted and
//     their unacknowledged items counted as dropped. A torn tail is cut at
//     the last intact entry. Enqueue writes to the disk only, never
//     waiting for the network; it does not fsync (an entry survives the
//     agent's crash, not necessarily the machine's).
//   - the Forwarder (forward.go): Run(ctx) delivers the queue in order, one
//     entry at a time, through the session's AgentService client.
//     UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, UNKNOWN (a
//     transport error: the control plane is down), ABORTED and CANCELED
//     are retried with jittered exponential backoff, never skipping the
//     entry; any other error means the entry can never be stored (bad
//     token, no permission, invalid): it is acknowledged and counted as
//     refused, logged once per reason.
//   - Counters (stats.go): what was received, queued, dropped, forwarded
//     and refused, read with Stats and logged at debug level (LogStats);
//     the agent has no metrics endpoint yet.
//
// Tokens are secrets: no log line of this package holds one, nor a
// request body.
package otlp
