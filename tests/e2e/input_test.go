package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBadInputIsRejectedNamingTheFieldAndStoresNothing(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	valid := func() map[string]any {
		return map[string]any{"street_id": donghuamen, "category": "noise", "description": "夜间施工噪声",
			"location": map[string]any{"lat": 39.9146, "lng": 116.4036}}
	}
	with := func(k string, v any) map[string]any {
		b := valid()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	const unknownStreet = "110101999"
	cases := []struct {
		name   string
		street string
		body   any
		field  string
	}{
		{"missing category", donghuamen, with("category", nil), "category"},
		{"unknown category", donghuamen, with("category", "no-such-thing"), "category"},
		{"unknown street", unknownStreet, with("street_id", unknownStreet), "street_id"},
		{"latitude 91", donghuamen, with("location", map[string]any{"lat": 91, "lng": 116.4}), "location.lat"},
		{"5,000-character description", donghuamen, with("description", strings.Repeat("噪", 5000)), "description"},
		{"malformed JSON", donghuamen, `{"street_id": "110101001", "category": `, "body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(t, http.MethodPost, "/v1/whistles", streetToken(t, s, c.street), c.body)
			require.Equal(t, http.StatusBadRequest, r.status, r.raw)
			e := obj(r.body["error"])
			require.Equal(t, "INVALID_ARGUMENT", e["code"], r.raw)
			require.NotEmpty(t, e["message"])
			var fields []string
			for _, d := range list(e["details"]) {
				fields = append(fields, str(obj(d)["field"]))
				require.NotEmpty(t, obj(d)["reason"])
			}
			require.Contains(t, fields, c.field, r.raw)
		})
	}
	// Nothing was stored for any of them.
	for _, street := range []string{donghuamen, unknownStreet} {
		l := s.do(t, http.MethodGet, "/v1/whistles", streetToken(t, s, street), nil)
		require.Equal(t, http.StatusOK, l.status, l.raw)
		require.Empty(t, list(l.body["whistles"]))
	}
}

func TestAccessIsCheckedOnEveryObject(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, _ := raise(t, s, donghuamen, "noise", 3)

	// Another street cannot read it, nor can a desk the whistle was not dispatched to.
	for _, tok := range []string{streetToken(t, s, "110101002"), deskToken(t, s, dongcheng, "water"), deskToken(t, s, chaoyang, "environment")} {
		r := s.do(t, http.MethodGet, "/v1/whistles/"+id, tok, nil)
		require.Equal(t, http.StatusNotFound, r.status, r.raw)
		require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", tok, nil).status)
	}
	// A street cannot raise for another street, nor act as a desk.
	r := s.do(t, http.MethodPost, "/v1/whistles", streetToken(t, s, "110101002"), map[string]any{
		"street_id": donghuamen, "category": "noise", "description": "x", "location": map[string]any{"lat": 39.9, "lng": 116.4}})
	require.Equal(t, http.StatusForbidden, r.status, r.raw)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/dispatches", streetToken(t, s, donghuamen), nil).status)
	// No token, no answer.
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/whistles/"+id, "", nil).status)
	// The environment desk the whistle was dispatched to, and the district's supervisor, can read it.
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/whistles/"+id, deskToken(t, s, dongcheng, "environment"), nil).status)
	sup := s.token(t, authIdentity("supervisor", "", dongcheng, ""))
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/whistles/"+id, sup, nil).status)
	otherSup := s.token(t, authIdentity("supervisor", "", chaoyang, ""))
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+id, otherSup, nil).status)
}
