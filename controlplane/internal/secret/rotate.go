package secret

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// notifyChannel wakes the rotation worker after RotateKey.
const notifyChannel = "hearth_secrets"

// batchSize bounds the rows one rotation transaction rewrites.
const batchSize = 100

// RotateKey retires a scope's data key and makes a new one; the values
// under the retired key are re-encrypted in the background (RunRotation).
// It returns how many values wait for that. A scope with no key yet gets
// one.
func (s *Service) RotateKey(ctx context.Context, sc Scope) (int64, error) {
	var pending int64
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		old, err := q.RetireActiveKey(ctx, db.RetireActiveKeyParams{ProjectID: sc.projectArg(), GroupID: sc.groupArg()})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		newID, err := s.createKey(ctx, q, sc)
		if err != nil {
			return err
		}
		if pending, err = q.CountVersionsUnderRetired(ctx, db.CountVersionsUnderRetiredParams{ProjectID: sc.projectArg(), GroupID: sc.groupArg()}); err != nil {
			return err
		}
		detail := map[string]any{"scope": sc.String(), "key_id": newID.String(), "pending_values": pending}
		if old != uuid.Nil {
			detail["retired_key_id"] = old.String()
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "secret.rotate_key", Resource: "secret-key/" + sc.String(), ProjectID: sc.Project, Detail: detail}); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "SELECT pg_notify($1, 'reencrypt')", notifyChannel)
		return err
	})
	return pending, err
}

// rewrapRootKeys re-wraps every data key not wrapped by the primary root
// key (a root key rotation), batch by batch; the values are untouched.
// It returns how many it re-wrapped.
func (s *Service) rewrapRootKeys(ctx context.Context) (int, error) {
	primary := s.keys.Primary()
	total := 0
	for {
		n := 0
		err := s.db.InTx(ctx, func(tx pgx.Tx) error {
			q := s.q.WithTx(tx)
			rows, err := q.KeysToRewrap(ctx, db.KeysToRewrapParams{PrimaryID: primary.ID(), MaxRows: batchSize})
			if err != nil {
				return err
			}
			for _, r := range rows {
				sc := scopeOf(r.ProjectID, r.GroupID)
				dek, err := s.unwrap(r.ID, sc, r.Wrapped, r.RootKeyID)
				if err != nil {
					return err
				}
				wrapped, err := primary.Wrap(dek, keyAD(r.ID, sc))
				if err != nil {
					return err
				}
				if err := q.SetWrapped(ctx, db.SetWrappedParams{ID: r.ID, Wrapped: wrapped, RootKeyID: primary.ID()}); err != nil {
					return err
				}
			}
			n = len(rows)
			return nil
		})
		total += n
		if err != nil || n < batchSize {
			return total, err
		}
	}
}

// reencryptRetired moves every value under a retired data key to its
// scope's active key, then deletes the retired key. It returns how many
// values it re-encrypted.
func (s *Service) reencryptRetired(ctx context.Context) (int, error) {
	keys, err := s.q.RetiredKeys(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, k := range keys {
		for {
			n, done, err := s.reencryptBatch(ctx, k.ID, scopeOf(k.ProjectID, k.GroupID))
			total += n
			if err != nil {
				return total, err
			}
			if done {
				break
			}
		}
	}
	return total, nil
}

// reencryptBatch re-encrypts up to batchSize values under the retired key
// oldID; done is true once none is left and the key is deleted (or another
// worker holds it).
func (s *Service) reencryptBatch(ctx context.Context, oldID uuid.UUID, sc Scope) (n int, done bool, err error) {
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if _, err := q.LockRetiredKey(ctx, oldID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				done = true // gone, or another worker has it
				return nil
			}
			return err
		}
		old, err := q.GetKey(ctx, oldID)
		if err != nil {
			return err
		}
		oldDEK, err := s.unwrap(old.ID, sc, old.Wrapped, old.RootKeyID)
		if err != nil {
			return err
		}
		newID, newDEK, err := s.activeKey(ctx, q, sc)
		if err != nil {
			return err
		}
		rows, err := q.VersionsUnderKey(ctx, db.VersionsUnderKeyParams{KeyID: oldID, MaxRows: batchSize})
		if err != nil {
			return err
		}
		for _, v := range rows {
			ad := valueAD(v.SecretID, sc, v.Version)
			plain, err := envelope.Open(oldDEK, v.Ciphertext, ad)
			if err != nil {
				return err
			}
			sealed, err := envelope.Seal(newDEK, plain, ad)
			if err != nil {
				return err
			}
			if err := q.Reseal(ctx, db.ResealParams{SecretID: v.SecretID, Version: v.Version, KeyID: newID, Ciphertext: sealed}); err != nil {
				return err
			}
		}
		n = len(rows)
		if n < batchSize {
			done = true
			return q.DeleteKey(ctx, oldID)
		}
		return nil
	})
	return n, done, err
}
