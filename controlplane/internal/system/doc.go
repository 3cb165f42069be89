// Package system serves hearth.v1.SystemService: facts about the control
// plane itself (its version, for now). It owns no tables.
package system
