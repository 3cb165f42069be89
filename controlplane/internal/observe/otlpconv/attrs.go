package otlpconv

import commonpb "go.opentelemetry.io/proto/otlp/common/v1"

// attrs converts attributes into a new bounded map (nil when there are
// none) and returns how many were dropped, for a row's
// DroppedAttributes.
func (c *converter) attrs(kvs []*commonpb.KeyValue) (map[string]string, int) {
	if len(kvs) == 0 {
		return nil, 0
	}
	// The hint is bounded by the limit, not by the sender's count.
	m := make(map[string]string, min(len(kvs), c.lim.MaxAttributes))
	return m, c.attrsInto(m, kvs)
}

// attrsInto adds kvs to m under the rules every attribute map follows,
// and returns how many it dropped:
//   - "hearth." keys are removed (counted as spoofs);
//   - the first MaxAttributes remaining attributes, in the sender's
//     order, are kept and the rest dropped, so what survives does not
//     depend on map iteration;
//   - an empty key, a key over MaxAttributeValueBytes, or a key already
//     present drops the attribute (first occurrence wins);
//   - values are rendered and bounded by render.
func (c *converter) attrsInto(m map[string]string, kvs []*commonpb.KeyValue) int {
	dropped, kept := 0, 0
	for i, kv := range kvs {
		k := kv.GetKey()
		if Reserved(k) {
			c.drops.SpoofAttributes++
			dropped++
			continue
		}
		if kept == c.lim.MaxAttributes {
			rest := len(kvs) - i
			c.drops.AttributesDropped += int64(rest)
			return dropped + rest
		}
		if _, dup := m[k]; dup || k == "" || len(k) > c.lim.MaxAttributeValueBytes {
			c.drops.AttributesDropped++
			dropped++
			continue
		}
		m[k] = c.render(kv.GetValue(), c.lim.MaxAttributeValueBytes, &c.drops.ValuesTruncated)
		kept++
	}
	return dropped
}
