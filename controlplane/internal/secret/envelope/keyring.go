package envelope

import (
	"errors"
	"fmt"
)

// Keyring is the root keys a control plane holds: the primary wraps new
// and re-wrapped DEKs; the others (keys being rotated out) only unwrap.
type Keyring struct {
	primary RootKey
	byID    map[string]RootKey
}

// NewKeyring returns a keyring; primary is required.
func NewKeyring(primary RootKey, previous ...RootKey) (*Keyring, error) {
	if primary == nil {
		return nil, errors.New("no secrets root key")
	}
	k := &Keyring{primary: primary, byID: map[string]RootKey{primary.ID(): primary}}
	for _, p := range previous {
		if _, dup := k.byID[p.ID()]; dup {
			return nil, fmt.Errorf("root key %s is given twice", p.ID())
		}
		k.byID[p.ID()] = p
	}
	return k, nil
}

// Primary is the key that wraps.
func (k *Keyring) Primary() RootKey { return k.primary }

// Key returns the key with id.
func (k *Keyring) Key(id string) (RootKey, bool) {
	r, ok := k.byID[id]
	return r, ok
}
