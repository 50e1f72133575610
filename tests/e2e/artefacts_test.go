package e2e_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// servicePackages are the five service binaries' main packages.
var servicePackages = []string{"intake", "routing", "response", "feedback", "gateway"}

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
