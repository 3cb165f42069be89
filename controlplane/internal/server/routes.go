package server

import (
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apicodec"
	"github.com/hearth-dev/hearth/controlplane/internal/download"
	"github.com/hearth-dev/hearth/controlplane/internal/module"

	"github.com/hearth-dev/hearth/shared/apispec"
)

// routesDeps is what the HTTP routes need.
type routesDeps struct {
	Logger   zerolog.Logger
	Registry *prometheus.Registry
	APIs     []module.API
	Checks   []module.Check
	Authn    Authenticator
	Authz    Authorizer
	// Mounts add plain HTTP routes (git, downloads) behind authentication.
	Mounts []module.Mount
	// Console serves "/" (the web console); the catch-all mount (git's)
	// sends it the client-side routes. Nil: 404.
	Console http.Handler
}

// newRoutes builds the one URL space of DESIGN.md: Connect, gRPC and
// gRPC-Web at /hearth.v1.<Service>/<Method>, the same handlers as REST JSON
// under /api/v1 (vanguard transcoding from google.api.http annotations),
// probes, metrics and the console.
func newRoutes(d routesDeps) (http.Handler, access.Rules, error) {
	rules := access.Rules{}
	for _, api := range d.APIs {
		for proc, rule := range api.Rules() {
			rules[proc] = rule
		}
	}
	authz := &authzInterceptor{rules: rules, authz: d.Authz, authn: d.Authn}
	opts := append([]connect.HandlerOption{
		// Outermost first: errors from authorization are mapped and counted too.
		connect.WithInterceptors(newRPCMetrics(d.Registry), errorInterceptor{}, authz),
		// Bounds each message before and after decompression (apicodec).
		connect.WithReadMaxBytes(apicodec.MaxRequestBytes),
		apicodec.Compression(apicodec.MaxRequestBytes),
		connect.WithCompressMinBytes(1024),
	}, apicodec.Codecs()...)
	mux := http.NewServeMux()
	services := make([]*vanguard.Service, 0, len(d.APIs))
	var served []string
	for _, api := range d.APIs {
		path, h := api.Handler(opts...)
		procs, err := proceduresOf(path)
		if err != nil {
			return nil, nil, err
		}
		served = append(served, procs...)
		// Connect, gRPC and gRPC-Web straight to the handler (vanguard would
		// take a header-less Connect JSON POST, as curl sends, for REST).
		mux.Handle(path, apicodec.LimitBodies(apicodec.MaxRequestBytes, h))
		services = append(services, vanguard.NewService(path, h,
			// In-process, uncompressed protobuf: vanguard never inflates
			// what the handler answers, and the handler decodes binary.
			vanguard.WithNoTargetCompression(), vanguard.WithTargetCodecs(vanguard.CodecProto)))
	}
	if err := checkDeclared(served, rules); err != nil {
		return nil, nil, err
	}
	transcoder, err := vanguard.NewTranscoder(services,
		vanguard.WithCodec(apicodec.NewRESTJSON), vanguard.WithUnknownHandler(http.HandlerFunc(apiNotFound)))
	if err != nil {
		return nil, nil, fmt.Errorf("API routes: %w", err)
	}
	openAPIJSON, err := apispec.JSON()
	if err != nil {
		return nil, nil, fmt.Errorf("OpenAPI document: %w", err)
	}

	mux.Handle("/api/v1/", apicodec.LimitBodies(apicodec.MaxRequestBytes, apicodec.WithRESTRequestFaults(transcoder)))
	mux.HandleFunc("GET /api/openapi.json", serveBytes("application/json", openAPIJSON))
	mux.HandleFunc("GET /api/openapi.yaml", serveBytes("application/yaml", apispec.YAML()))
	mux.HandleFunc("/api/", apiNotFound)
	for _, mount := range d.Mounts {
		mount(mux)
	}
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(d.Checks))
	mux.Handle("GET /metrics", adminMetrics(d.Registry, d.Authz))
	if d.Console != nil {
		// GET patterns match HEAD too.
		mux.Handle("GET /{$}", d.Console)
	}
	return withRequestContext(d.Logger, withAPIHeaders(withAuthentication(d.Authn, mux))), rules, nil
}

// apiNotFound answers an API path no route serves.
func apiNotFound(w http.ResponseWriter, _ *http.Request) {
	download.JSON(w, http.StatusNotFound, connect.CodeNotFound.String(), "no such API route")
}

func serveBytes(contentType string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}
}
