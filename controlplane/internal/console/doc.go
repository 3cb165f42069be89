// Package console serves the web console: the single-page app that
// `make console` builds from console/ (Vite) into dist/, embedded into the
// hearth binary.
//
// Handler serves the build's files (content-hashed assets under /assets/
// cached for a year, everything else revalidated), answers client-side
// routes (deep links such as /alice/demo/issues) with index.html, and sets
// the security headers of a page that runs only its own scripts. Paths
// that belong to the API, Connect, OTLP, WebSocket bridges, probes and
// metrics are never answered with the app: they get a plain 404 here, so a
// mistyped API URL does not come back as HTML. When the binary was built
// without the console (a plain `go build`), every page is a short
// explanation of how to build it.
//
// The package owns no tables and no RPCs.
package console
