package otlpconv

import (
	"strings"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// ReservedPrefix starts every attribute key Hearth itself sets (such as
// "hearth.cluster", stamped by a node agent). Senders cannot set them:
// they are how queries and alerts tell where data came from, so letting a
// tenant write them would let it pass its data off as another origin.
const ReservedPrefix = "hearth."

// UnknownService is the service of rows whose sender named none, as the
// OpenTelemetry semantic conventions spell it.
const UnknownService = "unknown_service"

// serviceNameKey is the resource attribute naming the service.
const serviceNameKey = "service.name"

// Tenant is what authentication decided about a request, as opposed to
// what its body says.
type Tenant struct {
	// Project is the project id every row is stored under.
	Project string
	// Resource holds attributes a trusted caller stamps onto every row's
	// Resource map (for example "hearth.cluster" for data relayed by a
	// node agent). They override the sender's attributes of the same key.
	Resource map[string]string
}

// Reserved reports whether key is in the namespace senders may not use.
func Reserved(key string) bool { return strings.HasPrefix(key, ReservedPrefix) }

// TruncateUTF8 returns s cut to at most n bytes without splitting a UTF-8
// sequence, and whether it was cut. A cut result is a copy, so it does not
// keep a huge original alive for as long as the row lives.
func TruncateUTF8(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	if n <= 0 {
		return "", true
	}
	i := n
	// At most utf8.UTFMax-1 continuation bytes precede a rune start.
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(s[i]); j++ {
		i--
	}
	return strings.Clone(s[:i]), true
}

// clip bounds a short string to MaxAttributeValueBytes, counting a cut.
func (c *converter) clip(s string) string {
	t, cut := TruncateUTF8(s, c.lim.MaxAttributeValueBytes)
	if cut {
		c.drops.ValuesTruncated++
	}
	return t
}

// resource converts a resource into the Resource map its rows share and
// their service name. The sender's attributes go through the same rules
// as any others (spoofs removed, bounded); then the tenant's are stamped.
func (c *converter) resource(res *resourcepb.Resource) (map[string]string, string) {
	kvs := res.GetAttributes()
	m := make(map[string]string, min(len(kvs), c.lim.MaxAttributes)+len(c.tenant.Resource))
	c.attrsInto(m, kvs)
	for k, v := range c.tenant.Resource {
		m[k] = v
	}
	svc := m[serviceNameKey]
	if svc == "" {
		// service.name may have been cut by the attribute limit; the
		// service is a column of its own, so look it up regardless.
		svc = c.findService(kvs)
	}
	if svc == "" {
		svc = UnknownService
	}
	return m, svc
}

// findService returns the first service.name attribute's value.
func (c *converter) findService(kvs []*commonpb.KeyValue) string {
	for _, kv := range kvs {
		if kv.GetKey() == serviceNameKey {
			return c.render(kv.GetValue(), c.lim.MaxAttributeValueBytes, &c.drops.ValuesTruncated)
		}
	}
	return ""
}
