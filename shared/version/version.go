// Package version reports the build's version, set at link time with
// -ldflags "-X github.com/hearth-dev/hearth/shared/version.version=v1.2.3
// -X github.com/hearth-dev/hearth/shared/version.commit=abc123".
package version

import (
	"runtime"
	"runtime/debug"
)

// Set by the linker; see the package doc. Never assigned at run time.
var (
	version = "dev"
	commit  = ""
)

// Info describes one build of a Hearth binary.
type Info struct {
	Version   string
	Commit    string
	GoVersion string
}

// Get returns this binary's build information. When the linker did not set
// the commit, the VCS revision Go recorded at build time is used, if any.
func Get() Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if info.Commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					info.Commit = s.Value
				}
			}
		}
	}
	return info
}

// String renders the version as "v1.2.3 (abc123, go1.26.8)".
func (i Info) String() string {
	s := i.Version + " ("
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += c + ", "
	}
	return s + i.GoVersion + ")"
}
