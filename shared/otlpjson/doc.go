// Package otlpjson decodes OTLP/JSON, the JSON encoding of OTLP/HTTP. It
// is protojson with one departure the OTLP specification makes: trace and
// span ids (traceId, spanId, parentSpanId, in spans, links, log records
// and exemplars) are hex strings, where the standard JSON mapping of
// protobuf bytes is base64. Both binaries receive OTLP/JSON: the control
// plane's ingest and the node agent's edge receiver.
package otlpjson
