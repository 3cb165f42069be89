package observe

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

const day = 24 * time.Hour

// Retention is how long project's telemetry is kept, and whether that is
// the server's default.
func (s *Service) Retention(ctx context.Context, project uuid.UUID) (time.Duration, bool, error) {
	days, err := db.New(s.d.DB).GetRetention(ctx, project)
	if errors.Is(err, store.ErrNotFound) {
		return s.d.Config.Retention, true, nil
	}
	return time.Duration(days) * day, false, err
}

// SetRetention sets project's retention in whole days (0: back to the
// server's default).
func (s *Service) SetRetention(ctx context.Context, project uuid.UUID, retention time.Duration) error {
	if retention != 0 && (retention%day != 0 || retention < day || retention > 3650*day) {
		return apperr.Invalid("retention must be whole days, from 1 to 3650")
	}
	return s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		if retention == 0 {
			err = q.ClearRetention(ctx, project)
		} else {
			err = q.SetRetention(ctx, db.SetRetentionParams{ProjectID: project, RetentionDays: int32(retention / day)}) //nolint:gosec // G115: at most 3650, checked above
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "observe.set_retention", Resource: "project/" + project.String(), ProjectID: project,
			Detail: map[string]any{"retention_days": int(retention / day)}})
	})
}

// GetObserveSettings returns the project's settings.
func (a *API) GetObserveSettings(ctx context.Context, req *hearthv1.GetObserveSettingsRequest) (*hearthv1.GetObserveSettingsResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	return a.settings(ctx, project)
}

func (a *API) settings(ctx context.Context, project uuid.UUID) (*hearthv1.GetObserveSettingsResponse, error) {
	r, def, err := a.svc.Retention(ctx, project)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetObserveSettingsResponse{Settings: &hearthv1.ObserveSettings{Retention: durationpb.New(r), RetentionIsDefault: def}}, nil
}

// UpdateObserveSettings changes them.
func (a *API) UpdateObserveSettings(ctx context.Context, req *hearthv1.UpdateObserveSettingsRequest) (*hearthv1.UpdateObserveSettingsResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := a.svc.SetRetention(ctx, project, req.GetSettings().GetRetention().AsDuration()); err != nil {
		return nil, err
	}
	res, err := a.settings(ctx, project)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateObserveSettingsResponse{Settings: res.GetSettings()}, nil
}
