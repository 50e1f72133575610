package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// cliTime is how whistlectl's tables show a time (local).
func cliTime(at time.Time) string { return at.Local().Format("2006-01-02 15:04:05") }

// TestWhistlectlEtaAndTheStreetsOrder: a desk states its own ETA and the
// street reads it beside the other dispatches' estimates; the street prints
// the 派单单 of its own whistle's dispatch — each through whistlectl against
// the whole system.
func TestWhistlectlEtaAndTheStreetsOrder(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	lead := str(dispatchOf(t, w, "urban-management")["id"])
	street := cliAs(t, s, streetToken(t, s, donghuamen))
	desk := cliAs(t, s, deskToken(t, s, dongcheng, "urban-management"))

	// 报预计到场: two hours from now, with a note for the street.
	at := s.clock.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	out := cli(t, desk, "eta", "set", lead, "--at", at.Format(time.RFC3339), "--note", "车辆在另一处清运，约两小时到")
	require.Contains(t, out, "expects to be on site at "+cliTime(at))
	code, _, errOut := cliTry(desk, "eta", "set", lead, "--at", s.clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
	require.Equal(t, 1, code, "an ETA in the past is refused")
	require.Contains(t, errOut, "arrive_at")
	code, _, errOut = cliTry(cliAs(t, s, deskToken(t, s, dongcheng, "police")), "eta", "set", lead, "--at", at.Format(time.RFC3339))
	require.Equal(t, 1, code, "another department's desk does not state this dispatch's ETA")
	require.Contains(t, errOut, "NOT_FOUND")

	// The street sees the desk's ETA and note; the other dispatches rest on history or their deadlines.
	eventually(t, "the desk's ETA in the street's estimate", func() bool {
		return strings.Contains(cli(t, street, "eta", "show", id), "desk 部门预计")
	})
	shown := cli(t, street, "eta", "show", id, "no-such-whistle")
	require.Regexp(t, lead+`\s+urban-management\s+\S+\s+`+cliTime(at)+`\s+desk 部门预计.*车辆在另一处清运，约两小时到`, shown)
	require.Regexp(t, `police\s+.*(SLA deadline|history)`, shown)
	require.Contains(t, shown, "Whistle no-such-whistle: no estimate")

	// The street prints the order of its own whistle's dispatch, named through the whistle.
	order := filepath.Join(t.TempDir(), "派单单.pdf")
	cli(t, street, "form", "order", lead, "--whistle", id, "--out", order)
	doc, err := os.ReadFile(order)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(doc, []byte("%PDF-")))
	code, _, errOut = cliTry(street, "form", "order", lead)
	require.Equal(t, 1, code, "without the whistle a street cannot read the dispatch")
	require.Contains(t, errOut, "PERMISSION_DENIED")
}
