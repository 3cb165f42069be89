package kubeagent

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
)

// SecretKey is the key of the identity in the Secret.
const SecretKey = "identity.json"

// SecretStore keeps the identity in the Secret Name (identity.Store).
type SecretStore struct {
	Client *kubeclient.Client
	Name   string
}

// Load implements identity.Store: an empty Secret holds no identity
// (fs.ErrNotExist); a missing one is an error of its own, since the agent
// may not create Secrets.
func (s SecretStore) Load(ctx context.Context) (identity.Identity, error) {
	sec, err := s.Client.GetSecret(ctx, s.Name)
	if apierrors.IsNotFound(err) {
		return identity.Identity{}, fmt.Errorf("%s does not exist: create it (empty) before the agent starts, as the hearth-agent chart does", s)
	}
	if err != nil {
		return identity.Identity{}, fmt.Errorf("reading %s: %w", s, err)
	}
	data := sec.Data[SecretKey]
	if len(data) == 0 {
		return identity.Identity{}, fmt.Errorf("%s holds no identity: %w", s, fs.ErrNotExist)
	}
	var id identity.Identity
	if err := json.Unmarshal(data, &id); err != nil {
		return identity.Identity{}, fmt.Errorf("%s: %w", s, err)
	}
	if err := id.Validate(); err != nil {
		return identity.Identity{}, fmt.Errorf("%s: %w (empty the key %s and register again with a new join token)", s, err, SecretKey)
	}
	return id, nil
}

// Save implements identity.Store, retrying update conflicts.
func (s SecretStore) Save(ctx context.Context, id identity.Identity) error {
	if err := id.Validate(); err != nil {
		return fmt.Errorf("saving identity: %w", err)
	}
	data, err := json.Marshal(id)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		sec, err := s.Client.GetSecret(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("saving the identity in %s: %w", s, err)
		}
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		sec.Data[SecretKey] = data
		_, err = s.Client.UpdateSecret(ctx, sec)
		if err == nil {
			return nil
		}
		if !apierrors.IsConflict(err) || attempt == 4 {
			return fmt.Errorf("saving the identity in %s: %w", s, err)
		}
	}
}

func (s SecretStore) String() string {
	return fmt.Sprintf("Secret %s/%s", s.Client.Namespace(), s.Name)
}
