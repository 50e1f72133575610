package ctl_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGeoImportSendsTheFileAndPrintsTheDiff(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"version": "draft", "from_version": "b1", "units": 3, "added": 1, "changed": 1,
		"removed": 0, "source_sha256": "abc", "changes": [{"change": "added", "level": "street", "code": "110101099", "name": "新街道"},
		{"change": "changed", "level": "street", "code": "110101001", "name": "东华门街道"}]}`)
	file := filepath.Join(t.TempDir(), "streets.geojson")
	geo := `{"type":"FeatureCollection","features":[]}`
	require.NoError(t, os.WriteFile(file, []byte(geo), 0o600))
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}

	code, out, errOut := run(t, env, "geo", "import", file, "--level", "street", "--coord-sys", "GCJ02", "--code-property", "XZQDM")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/boundaries:import", req.Path)
	require.Equal(t, "application/geo+json", req.Header.Get("Content-Type"))
	require.Equal(t, geo, string(req.Raw), "the file itself is the body")
	require.Equal(t, []string{"street"}, req.Query["level"])
	require.Equal(t, []string{"GCJ02"}, req.Query["coord_sys"])
	require.Equal(t, []string{"XZQDM"}, req.Query["code_property"])
	require.Equal(t, []string{"false"}, req.Query["publish"])
	require.Contains(t, out, "draft: 3 units; 1 added, 1 changed, 0 removed against b1")
	require.Regexp(t, `added\s+street\s+110101099\s+新街道`, out)
	require.Contains(t, out, "whistlectl geo publish --sha256 abc")

	code, _, errOut = run(t, env, "geo", "import", file, "--publish")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{"true"}, fake.last(t).Query["publish"])

	pub, purl := startFake(t, http.StatusOK, `{"version": "b2", "units": 3}`)
	code, out, errOut = run(t, map[string]string{"WHISTLE_URL": purl, "WHISTLE_TOKEN": streetToken()}, "geo", "publish", "--sha256", "abc")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/boundaries/draft:publish", pub.last(t).Path)
	require.Equal(t, "abc", pub.last(t).Body["source_sha256"])
	require.Contains(t, out, "published b2: 3 units")

	div, durl := startFake(t, http.StatusOK, `{"divisions": [{"code": "110101001", "level": "street", "name": "东华门街道", "boundary_version": "b1", "operating_street": true},
		{"code": "110101002", "level": "street", "name": "景山街道", "operating_street": true}, {"code": "110105043", "level": "street", "name": "某乡"}]}`)
	code, out, errOut = run(t, map[string]string{"WHISTLE_URL": durl, "WHISTLE_TOKEN": streetToken()}, "geo", "divisions", "--level", "street", "--parent", "110101")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/divisions", div.last(t).Path)
	require.Equal(t, []string{"110101"}, div.last(t).Query["parent_code"])
	require.Regexp(t, `110101001\s+street\s+东华门街道\s+b1`, out)
	require.Regexp(t, `110101002\s+street\s+景山街道\s+synthetic`, out)
	require.Regexp(t, `110105043\s+street\s+某乡\s+-`, out)
}
