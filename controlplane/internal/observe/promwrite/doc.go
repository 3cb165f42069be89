// Package promwrite ingests Prometheus remote-write 1.0 requests: it
// decodes the snappy-compressed protobuf body (Decode) and converts its
// samples into metric rows (ToRows).
//
// It decodes by hand with protowire rather than importing Prometheus'
// prompb, which would link a large part of Prometheus into the control
// plane. Decoding bounds its memory before spending any: the decompressed
// size a snappy block declares is checked against a limit before
// decompressing, and the protobuf is walked twice, once to count its
// parts and once to decode and validate them into slices allocated at
// their exact size.
//
// ToRows applies the same rules as package otlpconv (whose Tenant, Limits
// and Drops it uses): the project comes from authentication, "hearth."
// labels are removed as spoofs, labels are bounded like attributes and
// timestamps must lie in the accepted window.
package promwrite
