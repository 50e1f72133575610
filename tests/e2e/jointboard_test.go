package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// The joint board (issue 24), appended to the authorisation matrix: the
// matrix whistle is a joint-enforcement whistle where police cooperates and
// urban-management leads.
func init() {
	authzMatrix = append(authzMatrix, matrixRoute{
		name: "GetWhistleBoard", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/board" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.GetWhistleBoard(ctx, &responsev1.GetWhistleBoardRequest{WhistleId: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   A   N    A    F   U    U   U   U   U",
	}, matrixRoute{
		name: "AddBoardNote", method: http.MethodPost,
		body: map[string]any{"text": "公安已到场，请城管带执法记录仪"},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/board/notes" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.AddBoardNote(ctx, &responsev1.AddBoardNoteRequest{WhistleId: f.whistleID, Text: "公安已到场"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   A   N    A    F   U    U   U   U   U",
	}, matrixRoute{
		// Police cooperates: only the lead's desk completes; supervisors never do.
		name: "CompleteJointAction", method: http.MethodPost, body: map[string]any{},
		path: func(f matrixFixture) string { return "/v1/whistles/" + f.whistleID + "/board:complete" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.CompleteJointAction(ctx, &responsev1.CompleteJointActionRequest{WhistleId: f.whistleID})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    N   N   F   F    F    F   U    U   U   U   U",
	})
}

// Three departments on one whistle read one board; a note one leaves the
// others read, and the timeline records it for them but not for the street;
// the lead completes the joint action only once all have arrived, and the
// refusal names who is missing.
func TestJointBoardNotesAndCompletion(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	board := "/v1/whistles/" + id + "/board"
	desks := map[string]string{}
	for _, dept := range []string{"urban-management", "police", "environment"} {
		desks[dept] = deskToken(t, s, dongcheng, dept)
	}

	// Police reads every department's dispatch, the lead first.
	b := s.do(t, http.MethodGet, board, desks["police"], nil)
	require.Equal(t, http.StatusOK, b.status, b.raw)
	ds := list(b.body["dispatches"])
	require.Len(t, ds, 3)
	require.Equal(t, "urban-management", obj(ds[0])["department"])
	require.Equal(t, "lead", obj(ds[0])["role"])
	for _, d := range ds {
		require.Equal(t, "PENDING", obj(d)["status"])
		require.NotEmpty(t, obj(obj(d)["deadlines"])["arrive_by"])
	}

	q := s.do(t, http.MethodGet, "/v1/dispatches", desks["police"], nil)
	require.Equal(t, true, obj(list(q.body["dispatches"])[0])["joint"], "the queue marks a joint whistle")

	// A note: Chinese text, bounded.
	n := s.do(t, http.MethodPost, board+"/notes", desks["police"], map[string]any{"text": "  公安已出警，预计十分钟到场  "})
	require.Equal(t, http.StatusOK, n.status, n.raw)
	require.Equal(t, "公安已出警，预计十分钟到场", n.body["text"])
	require.Equal(t, "police", n.body["department"])
	long := s.do(t, http.MethodPost, board+"/notes", desks["police"], map[string]any{"text": strings.Repeat("扰", 1001)})
	require.Equal(t, http.StatusBadRequest, long.status, long.raw)
	require.Contains(t, long.raw, "text")
	empty := s.do(t, http.MethodPost, board+"/notes", desks["police"], map[string]any{"text": "  "})
	require.Equal(t, http.StatusBadRequest, empty.status, empty.raw)
	sup := s.do(t, http.MethodPost, board+"/notes", supervisorToken(t, s, dongcheng), map[string]any{"text": "请三部门十五分钟内到场"})
	require.Equal(t, http.StatusOK, sup.status, sup.raw)

	env := s.do(t, http.MethodGet, board, desks["environment"], nil)
	require.Equal(t, http.StatusOK, env.status, env.raw)
	notes := list(env.body["notes"])
	require.Len(t, notes, 2)
	require.Equal(t, "公安已出警，预计十分钟到场", obj(notes[0])["text"])
	require.Equal(t, "supervisor", obj(obj(notes[1])["author"])["role"])

	// The timeline records the note for the departments; the street does not see it.
	eventually(t, "note on the timeline", func() bool {
		return strings.Contains(s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", desks["environment"], nil).raw, "dispatch.board_noted")
	})
	street := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetToken(t, s, donghuamen), nil)
	require.Equal(t, http.StatusOK, street.status, street.raw)
	require.NotContains(t, street.raw, "board_noted")
	require.NotContains(t, street.raw, "预计十分钟")

	// Completion: a cooperating desk may not; the lead may not before all arrive.
	coop := s.do(t, http.MethodPost, board+":complete", desks["police"], map[string]any{})
	require.Equal(t, http.StatusForbidden, coop.status, coop.raw)
	arrive := func(dept string) {
		did := str(dispatchOf(t, w, dept)["id"])
		ack := s.do(t, http.MethodPost, "/v1/dispatches/"+did+":acknowledge", desks[dept], map[string]any{})
		require.Equal(t, http.StatusOK, ack.status, "%s: %s", dept, ack.raw)
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+did+":arrive", desks[dept],
			map[string]any{"location": map[string]any{"lat": 39.9146, "lng": 116.4036}})
		require.Equal(t, http.StatusOK, r.status, "%s: %s", dept, r.raw)
	}
	arrive("urban-management")
	arrive("police")
	early := s.do(t, http.MethodPost, board+":complete", desks["urban-management"], map[string]any{})
	require.Equal(t, http.StatusBadRequest, early.status, early.raw)
	require.Equal(t, "FAILED_PRECONDITION", obj(early.body["error"])["code"], early.raw)
	require.Contains(t, early.raw, "dispatches")
	require.Contains(t, early.raw, "environment")
	require.NotContains(t, early.raw, "police")

	arrive("environment")
	done := s.do(t, http.MethodPost, board+":complete", desks["urban-management"], map[string]any{})
	require.Equal(t, http.StatusOK, done.status, done.raw)
	require.NotEmpty(t, done.body["completed_at"])
	again := s.do(t, http.MethodPost, board+":complete", desks["urban-management"], map[string]any{})
	require.Equal(t, done.body["completed_at"], again.body["completed_at"], "idempotent")
	eventually(t, "completion on the timeline", func() bool {
		return strings.Count(s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", desks["police"], nil).raw, "dispatch.joint_completed") == 1
	})
}
