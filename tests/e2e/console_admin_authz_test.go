package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// The console's methods (issue 8), appended to the authorisation matrix.
func init() {
	authzMatrix = append(authzMatrix, matrixRoute{
		// Role-level access only: which extensions a supervisor sees is
		// TestSupervisorListsPendingExtensionsOfItsDistrict.
		name: "ListPendingExtensions", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/extensions/pending" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.response.ListPendingExtensions(ctx, &responsev1.ListPendingExtensionsRequest{})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   A    A    F   U    U   U   U   U",
	}, matrixRoute{
		name: "SaveDepartment", method: http.MethodPut,
		body: map[string]any{"name": "住房和城乡建设委员会", "name_en": "Housing and Urban-Rural Development"},
		path: func(matrixFixture) string { return "/v1/departments/housing-matrix" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.SaveDepartment(ctx, &routingv1.SaveDepartmentRequest{
				Code: "housing-matrix", Name: "住房和城乡建设委员会", NameEn: "Housing and Urban-Rural Development"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		// Renamed to what it is called already: the other rows are not disturbed.
		name: "RenameStreet", method: http.MethodPatch,
		body: map[string]any{"name": "建外街道", "name_en": "Jianwai"},
		path: func(matrixFixture) string { return "/v1/streets/110105001" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.routing.RenameStreet(ctx, &routingv1.RenameStreetRequest{Id: "110105001", Name: "建外街道", NameEn: "Jianwai"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	})
}

// An admin adds a department and renames departments and streets; the
// names are checked, and a street that does not exist is NotFound. The
// seed loaded at the next start-up leaves an admin's edit alone.
func TestAdminEditsDepartmentsAndStreets(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)

	put := s.do(t, http.MethodPut, "/v1/departments/housing", admin, map[string]any{"name": " 住建委 ", "name_en": "Housing"})
	require.Equal(t, http.StatusOK, put.status, put.raw)
	require.Equal(t, map[string]any{"code": "housing", "kind": "department", "name": "住建委", "name_en": "Housing"}, put.body)
	put = s.do(t, http.MethodPut, "/v1/departments/police", admin, map[string]any{"name": "公安分局", "name_en": "Police"})
	require.Equal(t, http.StatusOK, put.status, put.raw)
	deps := s.do(t, http.MethodGet, "/v1/departments", admin, nil)
	names := map[string]string{}
	for _, d := range list(deps.body["departments"]) {
		names[str(obj(d)["code"])] = str(obj(d)["name"])
	}
	require.Equal(t, "住建委", names["housing"])
	require.Equal(t, "公安分局", names["police"])

	st := s.do(t, http.MethodPatch, "/v1/streets/"+donghuamen, admin, map[string]any{"name": "东华门街道办事处", "name_en": "Donghuamen Subdistrict"})
	require.Equal(t, http.StatusOK, st.status, st.raw)
	require.Equal(t, "东华门街道办事处", str(st.body["name"]))
	require.Equal(t, dongcheng, str(st.body["district_id"]), "the district stays")
	require.NotEmpty(t, obj(st.body["boundary"]), "the boundary stays")
	got := s.do(t, http.MethodGet, "/v1/streets/"+donghuamen, streetToken(t, s, donghuamen), nil)
	require.Equal(t, "Donghuamen Subdistrict", str(got.body["name_en"]))

	for _, tc := range []struct {
		method, path string
		body         map[string]any
		status       int
		fields       []string
	}{
		{http.MethodPut, "/v1/departments/Bad_Code", map[string]any{"name": "甲", "name_en": "A"}, http.StatusBadRequest, []string{"code"}},
		{http.MethodPut, "/v1/departments/parks", map[string]any{"name": "", "name_en": "<b>Parks</b>"}, http.StatusBadRequest, []string{"name", "name_en"}},
		{http.MethodPatch, "/v1/streets/" + donghuamen, map[string]any{"name": strings.Repeat("街", 65), "name_en": "x"}, http.StatusBadRequest, []string{"name"}},
		{http.MethodPatch, "/v1/streets/110199999", map[string]any{"name": "无此街道", "name_en": "Nowhere"}, http.StatusNotFound, nil},
	} {
		r := s.do(t, tc.method, tc.path, admin, tc.body)
		require.Equal(t, tc.status, r.status, "%s %s: %s", tc.method, tc.path, r.raw)
		var fields []string
		for _, d := range list(obj(r.body["error"])["details"]) {
			fields = append(fields, str(obj(d)["field"]))
		}
		require.ElementsMatch(t, tc.fields, fields, "%s %s: %s", tc.method, tc.path, r.raw)
	}
}

// A supervisor's queue of extensions awaiting a decision holds those of its
// district's dispatches (a city supervisor's every district's), the oldest
// first, and leaves the list once decided.
func TestSupervisorListsPendingExtensionsOfItsDistrict(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	ask := func(dept, clock string) map[string]any {
		d := dispatchOf(t, w, dept)
		path := "/v1/dispatches/" + str(d["id"])
		tok := deskToken(t, s, dongcheng, dept)
		until := parseTime(t, obj(d["deadlines"])["ack_by"]).Add(2 * time.Hour)
		r := s.do(t, http.MethodPost, path+":requestExtension", tok, map[string]any{
			"clock": clock, "until": until.Format(time.RFC3339), "reason": "需协调产权单位",
		})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		return obj(list(r.body["extensions"])[0])
	}
	first := ask("police", "ack")
	s.clock.Advance(time.Second)
	second := ask("environment", "ack")

	ids := func(tok string, query string) []string {
		r := s.do(t, http.MethodGet, "/v1/extensions/pending"+query, tok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		var out []string
		for _, p := range list(r.body["extensions"]) {
			e, d := obj(obj(p)["extension"]), obj(obj(p)["dispatch"])
			require.Equal(t, str(e["dispatch_id"]), str(d["id"]), "each extension comes with its dispatch")
			require.Equal(t, "PENDING", str(e["status"]))
			out = append(out, str(e["id"]))
		}
		return out
	}
	sup := supervisorToken(t, s, dongcheng)
	require.Equal(t, []string{str(first["id"]), str(second["id"])}, ids(sup, ""), "oldest first")
	require.Equal(t, []string{str(first["id"]), str(second["id"])}, ids(supervisorToken(t, s, ""), ""), "the city supervisor sees every district")
	require.Empty(t, ids(supervisorToken(t, s, chaoyang), ""), "another district's supervisor sees none")

	page := s.do(t, http.MethodGet, "/v1/extensions/pending?page_size=1", sup, nil)
	require.Equal(t, http.StatusOK, page.status, page.raw)
	require.Len(t, list(page.body["extensions"]), 1)
	require.Equal(t, []string{str(second["id"])}, ids(sup, "?page_token="+str(page.body["next_page_token"])))
	bad := s.do(t, http.MethodGet, "/v1/extensions/pending?page_size=-1", sup, nil)
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)

	// Decided from the list: it leaves the list.
	police := dispatchOf(t, w, "police")
	dec := s.do(t, http.MethodPost, "/v1/dispatches/"+str(police["id"])+":decideExtension", sup,
		map[string]any{"extension_id": first["id"], "approve": false, "note": "请按时签收"})
	require.Equal(t, http.StatusOK, dec.status, dec.raw)
	require.False(t, slices.Contains(ids(sup, ""), str(first["id"])))
}
