package e2e_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// The Open311 client the harness's gateway knows: its api_key raises for 东华门街道.
const (
	open311Key    = "e2e-open311-key-0123456789"
	open311Street = donghuamen
)

// georeportDir is the repository's copy of the published GeoReport v2 schemas
// (testdata/georeport-v2, see its README for origin and licence); go test runs
// in the package directory, so the path is relative to it.
const georeportDir = "testdata/georeport-v2"

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// georeportSchema compiles one of the published GeoReport v2 schemas; names
// with a # are definitions inside the spec's swagger.json.
func georeportSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	dir, err := filepath.Abs(georeportDir)
	require.NoError(t, err)
	schemasOnce.Do(func() {
		schemas = map[string]*jsonschema.Schema{}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		for _, n := range []string{"services.json", "service-definition.json", "requests.json", "request.json"} {
			if schemas[n], schemasErr = c.Compile(filepath.Join(dir, n)); schemasErr != nil {
				return
			}
		}
		// POST requests and tokens answer lists of the swagger's definitions.
		for _, def := range []string{"RequestResponse", "TokenResponse"} {
			doc := map[string]any{"type": "array", "items": map[string]any{"$ref": "swagger.json#/definitions/" + def}}
			loc := "file://" + filepath.ToSlash(filepath.Join(dir, def+"-list.json"))
			if schemasErr = c.AddResource(loc, doc); schemasErr != nil {
				return
			}
			if schemas[def], schemasErr = c.Compile(loc); schemasErr != nil {
				return
			}
		}
	})
	require.NoError(t, schemasErr)
	sch := schemas[name]
	require.NotNil(t, sch, "schema %s", name)
	return sch
}

// validate checks raw JSON against a GeoReport v2 schema.
func validate(t *testing.T, schema, raw string) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(raw))
	require.NoError(t, err, raw)
	require.NoError(t, georeportSchema(t, schema).Validate(inst), "%s does not validate: %s", schema, raw)
}

// open311 sends a request to /open311/v2/ and returns the status and raw body.
func (s *system) open311(t *testing.T, method, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.url+"/open311/v2/"+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw), resp.Header
}

func decodeJSONList(t *testing.T, raw string) []map[string]any {
	t.Helper()
	var out []map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &out), raw)
	return out
}

func TestOpen311RaiseAndFollow(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})

	// Services are the categories; every answer validates against the published schemas.
	code, raw, hdr := s.open311(t, http.MethodGet, "services.json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	require.Contains(t, hdr.Get("Content-Type"), "application/json")
	validate(t, "services.json", raw)
	var codes []string
	for _, svc := range decodeJSONList(t, raw) {
		codes = append(codes, str(svc["service_code"]))
	}
	require.Contains(t, codes, "joint-enforcement")

	code, raw, _ = s.open311(t, http.MethodGet, "services/joint-enforcement.json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "service-definition.json", raw)

	code, raw, hdr = s.open311(t, http.MethodGet, "services.xml", nil)
	require.Equal(t, http.StatusOK, code, raw)
	require.Contains(t, hdr.Get("Content-Type"), "text/xml")
	var servicesXML struct {
		Services []struct {
			Code string `xml:"service_code"`
			Type string `xml:"type"`
		} `xml:"service"`
	}
	require.NoError(t, xml.Unmarshal([]byte(raw), &servicesXML), raw)
	require.Len(t, servicesXML.Services, len(codes))

	// A 311 app raises a request with its api_key.
	code, raw, _ = s.open311(t, http.MethodPost, "requests.json", url.Values{
		"api_key": {open311Key}, "service_code": {"joint-enforcement"},
		"lat": {"39.9146"}, "long": {"116.4036"}, "address_string": {"东华门大街 1 号"},
		"description":        {"夜间违规施工，噪声扬尘扰民"},
		"attribute[urgency]": {"HIGH"}, "email": {"resident@example.com"},
	})
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "RequestResponse", raw)
	created := decodeJSONList(t, raw)
	require.Len(t, created, 1)
	id := str(created[0]["service_request_id"])
	require.NotEmpty(t, id)
	require.Contains(t, str(created[0]["service_notice"]), "30 minutes")

	// It is a whistle of the bound street in the REST API, and reaches the departments' queues.
	streetTok := streetToken(t, s, open311Street)
	var w map[string]any
	eventually(t, "dispatches of the Open311 request", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return len(list(w["dispatches"])) == 3
	})
	require.Equal(t, open311Street, w["street_id"])
	require.Equal(t, "HIGH", w["urgency"])
	require.Equal(t, "东华门大街 1 号", w["address"])
	for _, dept := range []string{"urban-management", "police", "environment"} {
		q := s.do(t, http.MethodGet, "/v1/dispatches", deskToken(t, s, dongcheng, dept), nil)
		require.Equal(t, http.StatusOK, q.status, q.raw)
		var whistles []string
		for _, d := range list(q.body["dispatches"]) {
			whistles = append(whistles, str(obj(d)["whistle_id"]))
		}
		require.Contains(t, whistles, id, "the %s desk's queue", dept)
	}

	// Following it: the request, open, with the lead department and the SLA's deadline.
	code, raw, _ = s.open311(t, http.MethodGet, "requests/"+id+".json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "requests.json", raw)
	req := decodeJSONList(t, raw)[0]
	require.Equal(t, "open", req["status"])
	require.Equal(t, "joint-enforcement", req["service_code"])
	depts := s.do(t, http.MethodGet, "/v1/departments", streetTok, nil)
	leadName := ""
	for _, d := range list(depts.body["departments"]) {
		if obj(d)["code"] == "urban-management" {
			leadName = str(obj(d)["name"])
		}
	}
	require.Equal(t, leadName, req["agency_responsible"])
	var latest time.Time
	for _, d := range list(w["dispatches"]) {
		if by := parseTime(t, obj(obj(d)["deadlines"])["resolve_by"]); by.After(latest) {
			latest = by
		}
	}
	require.True(t, latest.Equal(parseTime(t, req["expected_datetime"])), "expected %v, got %v", latest, req["expected_datetime"])
	require.InDelta(t, 39.91, req["lat"], 1e-9, "the public grid, not the exact point")
	require.Nil(t, req["description"])
	require.Nil(t, req["address"])

	// The list filters.
	listed := func(query string) []string {
		t.Helper()
		code, raw, _ := s.open311(t, http.MethodGet, "requests.json?"+query, nil)
		require.Equal(t, http.StatusOK, code, raw)
		validate(t, "requests.json", raw)
		var ids []string
		for _, r := range decodeJSONList(t, raw) {
			ids = append(ids, str(r["service_request_id"]))
		}
		return ids
	}
	raisedAt := parseTime(t, w["raised_at"])
	require.Contains(t, listed(""), id)
	require.Contains(t, listed("service_code=joint-enforcement&status=open"), id)
	require.NotContains(t, listed("service_code=noise"), id)
	require.NotContains(t, listed("status=closed"), id)
	require.Contains(t, listed("start_date="+url.QueryEscape(raisedAt.Add(-time.Minute).Format(time.RFC3339))+
		"&end_date="+url.QueryEscape(raisedAt.Add(time.Minute).Format(time.RFC3339))), id)
	require.NotContains(t, listed("end_date="+url.QueryEscape(raisedAt.Add(-time.Minute).Format(time.RFC3339))), id)
	require.Equal(t, []string{id}, listed("service_request_id="+id+",no-such-id&status=closed"))

	code, raw, _ = s.open311(t, http.MethodGet, "tokens/"+str(created[0]["token"])+".json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "TokenResponse", raw)
	require.Equal(t, id, decodeJSONList(t, raw)[0]["service_request_id"])

	code, raw, _ = s.open311(t, http.MethodGet, "requests/"+id+".xml", nil)
	require.Equal(t, http.StatusOK, code, raw)
	var requestsXML struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID     string `xml:"service_request_id"`
			Status string `xml:"status"`
		} `xml:"request"`
	}
	require.NoError(t, xml.Unmarshal([]byte(raw), &requestsXML), raw)
	require.Equal(t, id, requestsXML.Requests[0].ID)

	// Withdrawn through the REST API, the request is closed for Open311.
	r := s.do(t, http.MethodPost, "/v1/whistles/"+id+":cancel", streetTok, map[string]any{"reason": "重复上报"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	code, raw, _ = s.open311(t, http.MethodGet, "requests/"+id+".json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "requests.json", raw)
	require.Equal(t, "closed", decodeJSONList(t, raw)[0]["status"])
	require.Contains(t, listed("status=closed"), id)
}

func TestOpen311BadInputStoresNothing(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	good := func() url.Values {
		return url.Values{"api_key": {open311Key}, "service_code": {"noise"}, "lat": {"39.9146"}, "long": {"116.4036"}, "description": {"噪声扰民"}}
	}
	with := func(k, v string) url.Values {
		f := good()
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	cases := []struct {
		name   string
		path   string
		form   url.Values
		status int
		says   string
	}{
		{"no api_key", "requests.json", with("api_key", ""), http.StatusForbidden, "api_key"},
		{"unknown api_key", "requests.json", with("api_key", "not-a-key-of-anyone-at-all"), http.StatusForbidden, "api_key"},
		{"no service_code", "requests.json", with("service_code", ""), http.StatusBadRequest, "service_code"},
		{"unknown service_code", "requests.json", with("service_code", "dragons"), http.StatusBadRequest, "service_code"},
		{"lat not a number", "requests.json", with("lat", "north"), http.StatusBadRequest, "lat"},
		{"latitude 91", "requests.json", with("lat", "91"), http.StatusBadRequest, "lat"},
		{"no location", "requests.json", func() url.Values { f := good(); f.Del("lat"); f.Del("long"); return f }(), http.StatusBadRequest, "location"},
		{"no description", "requests.json", with("description", ""), http.StatusBadRequest, "description"},
		{"bad urgency", "requests.json", with("attribute[urgency]", "PANIC"), http.StatusBadRequest, "urgency"},
		{"huge description", "requests.json", with("description", strings.Repeat("噪", 5000)), http.StatusBadRequest, "description"},
		{"unknown format", "requests.csv", good(), http.StatusNotFound, "format"},
	}
	for _, c := range cases {
		code, raw, _ := s.open311(t, http.MethodPost, c.path, c.form)
		require.Equal(t, c.status, code, "%s: %s", c.name, raw)
		errs := decodeJSONList(t, raw)
		require.Len(t, errs, 1, c.name)
		require.EqualValues(t, c.status, errs[0]["code"], c.name)
		require.Contains(t, str(errs[0]["description"]), c.says, c.name)
	}
	// A body over the gateway's limit is refused before anything is read into a whistle.
	big := good()
	big.Set("description", strings.Repeat("x", 2<<20))
	code, raw, _ := s.open311(t, http.MethodPost, "requests.json", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, code, raw)
	require.EqualValues(t, 413, decodeJSONList(t, raw)[0]["code"])

	for _, c := range []struct{ path, says string }{
		{"requests.json?start_date=yesterday", "start_date"},
		{"requests.json?end_date=2026-13-45", "end_date"},
		{"requests.json?status=pending", "status"},
	} {
		code, raw, _ := s.open311(t, http.MethodGet, c.path, nil)
		require.Equal(t, http.StatusBadRequest, code, raw)
		require.Contains(t, str(decodeJSONList(t, raw)[0]["description"]), c.says)
	}
	code, raw, _ = s.open311(t, http.MethodGet, "requests/no-such-request.json", nil)
	require.Equal(t, http.StatusNotFound, code, raw)
	require.EqualValues(t, 404, decodeJSONList(t, raw)[0]["code"])
	code, raw, _ = s.open311(t, http.MethodGet, "services/dragons.xml", nil)
	require.Equal(t, http.StatusNotFound, code, raw)
	var errsXML struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	require.NoError(t, xml.Unmarshal([]byte(raw), &errsXML), raw)
	require.Equal(t, 404, errsXML.Errors[0].Code)

	// Nothing was stored.
	code, raw, _ = s.open311(t, http.MethodGet, "requests.json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "requests.json", raw)
	require.Empty(t, decodeJSONList(t, raw))
	l := s.do(t, http.MethodGet, "/v1/whistles", streetToken(t, s, open311Street), nil)
	require.Equal(t, http.StatusOK, l.status, l.raw)
	require.Empty(t, list(l.body["whistles"]))
}
