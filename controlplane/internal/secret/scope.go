package secret

import (
	"strconv"

	"github.com/google/uuid"
)

// Scope is where a secret lives: a project, a group, or the installation
// (both ids uuid.Nil). At most one id is set.
type Scope struct {
	Project uuid.UUID
	Group   uuid.UUID
}

// Installation is the installation-wide scope.
var Installation = Scope{}

// ProjectScope and GroupScope name the scopes of a project and a group.
func ProjectScope(id uuid.UUID) Scope { return Scope{Project: id} }

// GroupScope is a group's scope.
func GroupScope(id uuid.UUID) Scope { return Scope{Group: id} }

// Kind is "project", "group" or "instance".
func (s Scope) Kind() string {
	switch {
	case s.Project != uuid.Nil:
		return "project"
	case s.Group != uuid.Nil:
		return "group"
	}
	return "instance"
}

// String names the scope in associated data and audit rows.
func (s Scope) String() string {
	switch {
	case s.Project != uuid.Nil:
		return "project/" + s.Project.String()
	case s.Group != uuid.Nil:
		return "group/" + s.Group.String()
	}
	return "instance"
}

func (s Scope) projectArg() *uuid.UUID { return ptr(s.Project) }
func (s Scope) groupArg() *uuid.UUID   { return ptr(s.Group) }

func scopeOf(project, group *uuid.UUID) Scope {
	var s Scope
	if project != nil {
		s.Project = *project
	}
	if group != nil {
		s.Group = *group
	}
	return s
}

func ptr(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// Associated data. The prefixes keep the two kinds of blob apart; the ids
// bind a blob to its row, so a ciphertext or a wrapped key copied onto
// another row does not open.

func keyAD(keyID uuid.UUID, s Scope) []byte {
	return []byte("hearth dek v1\x00" + keyID.String() + "\x00" + s.String())
}

func valueAD(secretID uuid.UUID, s Scope, version int32) []byte {
	return []byte("hearth secret v1\x00" + secretID.String() + "\x00" + s.String() + "\x00" + strconv.Itoa(int(version)))
}
