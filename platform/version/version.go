// Package version is what a binary was built from. The Makefile and the
// Dockerfile stamp it at link time:
//
//	go build -ldflags "-X github.com/chuishao/whistle/platform/version.Version=v1.2.0
//	  -X github.com/chuishao/whistle/platform/version.Commit=<sha>
//	  -X github.com/chuishao/whistle/platform/version.Date=2026-12-07T06:00:00Z"
//
// An unstamped build (go run, go test) reports version "dev".
package version

import (
	"fmt"
	"runtime"
)

// Version, Commit and Date are set with -ldflags -X; they are variables for
// that reason only and are never changed at run time.
var (
	// Version is the release (git describe), "dev" when not stamped.
	Version = "dev"
	// Commit is the full git commit hash.
	Commit = ""
	// Date is when the binary was built (RFC 3339, UTC).
	Date = ""
)

// Info is the stamped version of the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
}

// Get returns the running binary's version.
func Get() Info {
	return Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version()}
}

// String is one line for people: "v1.2.0 (commit abc1234, built 2026-12-07T06:00:00Z, go1.26.8)".
func (i Info) String() string {
	commit := i.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "unknown"
	}
	date := i.Date
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s)", i.Version, commit, date, i.GoVersion)
}
