package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/evidencetest"
)

// TestWhistlectlJointBoardFormsEvidenceAndReports: the desks of a joint
// whistle share the board through whistlectl, add photos, print their forms;
// the supervisor reads what is at risk; a grid worker files a report with a
// photo; a street checks a point; an admin renames a street.
func TestWhistlectlJointBoardFormsEvidenceAndReports(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	desks := map[string]map[string]string{}
	for _, d := range []string{"urban-management", "police", "environment"} {
		desks[d] = cliAs(t, s, deskToken(t, s, dongcheng, d))
	}
	sup := cliAs(t, s, supervisorToken(t, s, dongcheng))
	urban := str(dispatchOf(t, w, "urban-management")["id"])
	dir := t.TempDir()

	// The supervisor sees the open dispatches and escalates one to 督办 by hand: its notice prints.
	require.Contains(t, cli(t, sup, "risk", "--within", "60"), "open 3")
	for range 2 {
		cli(t, sup, "escalate", urban, "--reason", "群众多次反映")
	}
	notice := filepath.Join(dir, "督办通知书.pdf")
	cli(t, sup, "form", "notice", urban, "--out", notice)
	order := filepath.Join(dir, "派单单.pdf")
	cli(t, desks["urban-management"], "form", "order", urban, "--out", order)
	for _, f := range []string{notice, order} {
		doc, err := os.ReadFile(f)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(doc, []byte("%PDF-")), f)
	}

	// Police leaves a note; environment reads it on the board.
	note := cliJSON(t, desks["police"], "board", "note", id, "--text", "公安已出警，预计十分钟到场")
	require.Equal(t, "police", note["department"])
	board := cli(t, desks["environment"], "board", "show", id)
	require.Contains(t, board, "公安已出警，预计十分钟到场")
	require.Contains(t, board, "joint action done: no")

	// Every desk acknowledges and arrives; police adds a photo of the scene.
	for _, d := range []string{"urban-management", "police", "environment"} {
		did := str(dispatchOf(t, w, d)["id"])
		cli(t, desks[d], "ack", did)
		cli(t, desks[d], "arrive", did, "--lat", "39.9147", "--lng", "116.4035")
	}
	photo := filepath.Join(dir, "现场.jpg")
	require.NoError(t, os.WriteFile(photo, evidencetest.JPEGWithGPS(t, 640, 480, 39.91470, 116.40350), 0o600))
	a := cliJSON(t, desks["police"], "attach", id, photo, "--stage", "arrival")
	require.Equal(t, "arrival", a["stage"])
	require.Equal(t, "现场.jpg", a["file_name"])
	require.NotNil(t, a["exif_location"])
	code, _, errOut := cliTry(desks["police"], "attach", id, photo, "--stage", "later")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `--stage "later"`)

	// Only the lead completes the joint action.
	code, _, _ = cliTry(desks["police"], "board", "complete", id)
	require.Equal(t, 1, code, "a cooperating desk does not complete")
	done := cliJSON(t, desks["urban-management"], "board", "complete", id)
	require.NotEmpty(t, done["completed_at"])

	// A grid worker files a report with a photo; it is in the micro-grid's list.
	grid := cliAs(t, s, gridToken(t, s, donghuamen, "DHM-01"))
	filed := cliJSON(t, grid, "reports", "file", "--category", "garbage", "--description", "小区门口垃圾堆积",
		"--lat", "39.9146", "--lng", "116.4036", "--photo", photo)
	reportID := str(obj(filed["report"])["id"])
	require.NotEmpty(t, reportID)
	require.Contains(t, cli(t, grid, "reports", "list"), reportID)

	// The street checks points before raising.
	street := cliAs(t, s, streetToken(t, s, donghuamen))
	require.Equal(t, "outside", cliJSON(t, street, "streets", "locate", "--lat", "39.93", "--lng", "116.392")["result"])
	require.NotEqual(t, "outside", cliJSON(t, street, "streets", "locate", "--lat", "39.9146", "--lng", "116.4036")["result"])

	// An admin renames a street.
	admin := cliAs(t, s, adminToken(t, s))
	cli(t, admin, "streets", "rename", "110101002", "--name", "景山街道（演练）", "--name-en", "Jingshan (drill)")
	require.True(t, strings.Contains(cli(t, street, "streets", "--district", dongcheng), "景山街道（演练） / Jingshan (drill)"))

	// An admin adds a robot channel for the police desk, switches it off and deletes it; its key never comes back.
	const key = "wecom-robot-key-cli"
	ch := cliJSON(t, admin, "channels", "add", "--department", "police", "--district", dongcheng, "--kind", "wecom",
		"--robot-url", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="+key)
	chID := fmt.Sprint(ch["id"])
	listed := cli(t, admin, "channels", "list", "--department", "police")
	require.Regexp(t, chID+`\s+police\s+`+dongcheng+`\s+wecom\s+https://qyapi.weixin.qq.com/cgi-bin/webhook/send\s+false\s+true`, listed)
	require.NotContains(t, listed, key)
	require.NotEqual(t, true, cliJSON(t, admin, "channels", "update", chID, "--disable")["enabled"])
	code, _, errOut = cliTry(sup, "channels", "update", chID, "--enable")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "PERMISSION_DENIED")
	cli(t, admin, "channels", "delete", chID)
	require.NotContains(t, cli(t, admin, "channels", "list"), "wecom")
}

// TestWhistlectlGrants: where people sign in through an identity provider, an
// admin gives a person a role, lists it and revokes it with whistlectl.
func TestWhistlectlGrants(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	admin := cliAs(t, s, adminToken(t, s))
	g := cliJSON(t, admin, "grants", "set", "u-newcomer", "--name", "新同事", "--role", "desk", "--department", "police", "--district", dongcheng)
	require.Equal(t, "desk", g["role"])
	require.Regexp(t, `u-newcomer\s+新同事\s+desk\s+110101 police\s+-`, cli(t, admin, "grants", "list"))
	code, _, errOut := cliTry(admin, "grants", "set", "u-newcomer", "--role", "desk")
	require.Equal(t, 1, code, "a desk needs its scope")
	require.Contains(t, errOut, "department")
	code, _, errOut = cliTry(cliAs(t, s, deskToken(t, s, dongcheng, "police")), "grants", "list")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "PERMISSION_DENIED")
	require.Equal(t, true, cliJSON(t, admin, "grants", "revoke", "u-newcomer")["revoked"])
	require.Regexp(t, `u-newcomer\s+.*REVOKED`, cli(t, admin, "grants", "list"))
}
