package access

// Visibility is who may read a project or a group without a role on it.
type Visibility uint8

// Visibilities. The zero value is the safest.
const (
	// Private: only principals holding project:read on it.
	Private Visibility = iota
	// Internal: any signed-in principal may read it.
	Internal
	// Public: anyone, anonymous too, may read it.
	Public
)
