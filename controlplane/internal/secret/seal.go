package secret

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
)

// Seal encrypts a credential another feature keeps (a webhook's signing
// secret) under the installation's data key, bound to ad (which names the
// row that keeps it). The result starts with the data key's id, so it
// still opens after the root key is rotated.
func (s *Service) Seal(ctx context.Context, ad string, plaintext []byte) ([]byte, error) {
	keyID, dek, err := s.activeKey(ctx, s.q, Installation)
	if err != nil {
		return nil, err
	}
	sealed, err := envelope.Seal(dek, plaintext, sealAD(ad))
	if err != nil {
		return nil, err
	}
	return append(keyID[:], sealed...), nil
}

// Open decrypts what Seal returned for the same ad.
func (s *Service) Open(ctx context.Context, ad string, blob []byte) ([]byte, error) {
	if len(blob) < 16 {
		return nil, envelope.ErrOpen
	}
	keyID, err := uuid.FromBytes(blob[:16])
	if err != nil {
		return nil, envelope.ErrOpen
	}
	k, err := s.q.GetKey(ctx, keyID)
	if err != nil {
		return nil, errors.Join(envelope.ErrOpen, err)
	}
	dek, err := s.unwrap(k.ID, scopeOf(k.ProjectID, k.GroupID), k.Wrapped, k.RootKeyID)
	if err != nil {
		return nil, err
	}
	return envelope.Open(dek, blob[16:], sealAD(ad))
}

func sealAD(ad string) []byte { return []byte("hearth sealed v1\x00" + ad) }
