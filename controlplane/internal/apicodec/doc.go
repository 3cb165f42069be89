// Package apicodec bounds and decodes what API clients send, before any
// interceptor runs: request bodies limited before and after decompression
// (Connect, gRPC, gRPC-Web and REST), gzip that stops inflating at the
// limit, and the Connect and REST JSON codecs whose decode errors are
// readable invalid_argument answers that never leak internals. The server
// installs it in front of every API handler.
package apicodec
