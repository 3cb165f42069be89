// Package names holds the one list of names that users, groups and
// projects may not take because the server's own routes live there.
//
// Owners (users and groups share one namespace) are the first segment of
// project URLs (/{owner}/{project}, /{owner}/{project}.git/...), beside
// the server's top-level routes (DESIGN.md, "One listener, one URL
// space"): an owner named "api" would put its project "v1" at /api/v1.git,
// in the API's path space, and an owner named "v1" would sit beside OTLP's
// /v1/traces. Project names are the second segment: the owner is always
// exactly one segment, so they meet no top-level route, but some suffixes
// read as a different resource of the same project.
//
// The package is a leaf (it imports only apperr), so auth and project
// check the same list without knowing each other.
package names

import (
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// reservedOwners are top-level path segments the server serves or will
// serve, compared case-insensitively (URL matching of owners is
// case-insensitive too). Keep the comment beside each group saying where
// the route comes from.
var reservedOwners = map[string]bool{
	// The API (REST and OpenAPI), the console's build and its pages
	// ("/-/…"), and the console's top-level files.
	"api": true, "assets": true, "static": true, "console": true, "-": true,
	"index.html": true, "favicon.ico": true, "favicon.svg": true, "robots.txt": true,
	"sitemap.xml": true, "manifest.json": true, "manifest.webmanifest": true,
	"sw.js": true, "service-worker.js": true, ".well-known": true,
	// Probes, Prometheus, profiling.
	"healthz": true, "readyz": true, "livez": true, "metrics": true, "debug": true,
	// OTLP/HTTP (/v1/traces, /v1/logs, /v1/metrics) and the next API version.
	"v1": true, "v2": true,
	// WebSocket bridges and the MCP server.
	"ws": true, "mcp": true,
	// Sign-in routes a browser or an identity provider may be sent to.
	"login": true, "logout": true, "oauth": true, "oauth2": true, "oidc": true, "sso": true, "saml": true,
}

// reservedPrefixes start the names of gRPC and Connect services, served
// at /<package>.<Service>/<Method>: Hearth's own (hearth.v1,
// hearth.agent.v1), OTLP/gRPC (opentelemetry.proto.collector.*) and gRPC's
// health and reflection services.
var reservedPrefixes = []string{"hearth.", "opentelemetry.", "grpc."}

// reservedProjectSuffixes make a project name read as another resource of
// a project: its git URL (.git) or a feed (.atom).
var reservedProjectSuffixes = []string{".git", ".atom"}

// OwnerReserved reports whether name may not be taken by a user or a
// group, and the reserved word or prefix it matches.
func OwnerReserved(name string) (string, bool) {
	lower := strings.ToLower(name)
	if reservedOwners[lower] {
		return lower, true
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return p, true
		}
	}
	return "", false
}

// CheckOwner refuses (InvalidArgument) a reserved username or group name;
// what says which ("username", "group name").
func CheckOwner(what, name string) error {
	word, ok := OwnerReserved(name)
	if !ok {
		return nil
	}
	if strings.HasSuffix(word, ".") {
		return apperr.Invalid("%s %q is reserved: names starting with %q name the server's own services", what, clip(name), word)
	}
	return apperr.Invalid("%s %q is reserved: /%s is one of the server's own routes", what, clip(name), word)
}

// CheckProject refuses (InvalidArgument) a reserved project name.
func CheckProject(name string) error {
	lower := strings.ToLower(name)
	for _, s := range reservedProjectSuffixes {
		if strings.HasSuffix(lower, s) {
			return apperr.Invalid("project name %q is reserved: names ending in %q name another resource of a project", clip(name), s)
		}
	}
	return nil
}

// clip shortens a caller's name for an error message.
func clip(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		return s[:maxLen] + "…"
	}
	return s
}
