package e2e_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// servicePackages are the six service binaries' main packages.
var servicePackages = []string{"intake", "discovery", "routing", "response", "feedback", "gateway"}

// TestServiceBinariesDoNotLinkTheNATSServer: production connects to an
// external NATS cluster, so no service binary carries the embedded server
// (only the launcher and tests do).
func TestServiceBinariesDoNotLinkTheNATSServer(t *testing.T) {
	t.Parallel()
	for _, svc := range servicePackages {
		out, err := exec.Command("go", "list", "-deps", "../../services/"+svc+"/cmd/"+svc).CombinedOutput()
		require.NoError(t, err, "%s", out)
		for dep := range strings.SplitSeq(string(out), "\n") {
			require.False(t, strings.HasPrefix(dep, "github.com/nats-io/nats-server/"), "%s links %s", svc, dep)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "../../cli/cmd/whistle-dev").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "github.com/nats-io/nats-server/v2/server", "the launcher embeds the server")
}

// TestWhistlectlVersionPrintsTheStampedVersion: the version, commit and date
// the Makefile stamps with -ldflags -X are what `whistlectl version` prints.
func TestWhistlectlVersionPrintsTheStampedVersion(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "whistlectl")
	const pkg = "github.com/chuishao/whistle/platform/version"
	ldflags := "-X " + pkg + ".Version=v1.2.3-e2e -X " + pkg + ".Commit=0123456789abcdef0123 -X " + pkg + ".Date=2026-12-07T06:00:00Z"
	out, err := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "../../cli/cmd/whistlectl").CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "whistlectl v1.2.3-e2e (commit 0123456789ab, built 2026-12-07T06:00:00Z, "+runtime.Version()+")\n", string(out))
}
