package system

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
	"github.com/hearth-dev/hearth/shared/version"
)

// API implements hearthv1connect.SystemServiceHandler.
type API struct {
	version version.Info
}

var _ hearthv1connect.SystemServiceHandler = (*API)(nil)

// NewAPI returns the handler reporting this binary's version.
func NewAPI(v version.Info) *API { return &API{version: v} }

// Handler returns the Connect handler and the path prefix it serves.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewSystemServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: the version is public.
func (a *API) Rules() access.Rules {
	return access.Rules{hearthv1connect.SystemServiceGetVersionProcedure: {Public: true}}
}

// GetVersion reports the answering replica's build.
func (a *API) GetVersion(context.Context, *hearthv1.GetVersionRequest) (*hearthv1.GetVersionResponse, error) {
	return &hearthv1.GetVersionResponse{
		Version:   a.version.Version,
		Commit:    a.version.Commit,
		GoVersion: a.version.GoVersion,
	}, nil
}
