package boundary_test

import (
	"testing"

	"github.com/chuishao/whistle/services/routing/internal/boundary"
)

// FuzzRead feeds arbitrary files to the importer: it never panics, it
// either takes units or names problems (never both, never neither), and every
// unit it takes is a valid boundary with a code of its level.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110101001","name":"东华门"},"geometry":{"type":"Polygon","coordinates":[[[116.39,39.9],[116.41,39.9],[116.41,39.92],[116.39,39.92],[116.39,39.9]],[[116.395,39.905],[116.4,39.905],[116.4,39.91],[116.395,39.91],[116.395,39.905]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":110101002,"properties":{"name":"x","level":"street"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[2,2],[2,0],[0,2],[0,0]]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"DHM-1","level":"grid","parent":"110101001","name":"g"},"geometry":{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[null,{},{"type":"Feature","geometry":null}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, file []byte) {
		units, problems := boundary.Read(file, boundary.Options{Level: boundary.Street})
		if (len(units) > 0) == (len(problems) > 0) {
			t.Fatalf("%d units and %d problems", len(units), len(problems))
		}
		for _, u := range units {
			if err := boundary.Structure(u.Shape); err != nil {
				t.Fatalf("took %s %s: %v", u.Level, u.Code, err)
			}
			if err := boundary.Topology(u.Shape); err != nil {
				t.Fatalf("took %s %s: %v", u.Level, u.Code, err)
			}
			if u.Code == "" || u.Name == "" {
				t.Fatalf("took a unit without code or name: %+v", u)
			}
		}
	})
}
