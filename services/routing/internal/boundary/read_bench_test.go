package boundary_test

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/chuishao/whistle/services/routing/internal/boundary"
)

func starFile(b *testing.B, features, vertices int) []byte {
	b.Helper()
	var fs []map[string]any
	for f := range features {
		cx, cy := 116+0.01*float64(f%70), 39.5+0.01*float64(f/70)
		ring := make([][2]float64, 0, vertices+1)
		for i := range vertices {
			a := 2 * math.Pi * float64(i) / float64(vertices)
			// A traced outline: slow bays and headlands, small jitter.
			r := 0.004 * (0.85 + 0.1*math.Sin(a*7) + 0.05*math.Sin(a*131) + 0.002*math.Sin(float64(i)*7.3))
			ring = append(ring, [2]float64{cx + r*math.Cos(a), cy + r*math.Sin(a)})
		}
		ring = append(ring, ring[0])
		fs = append(fs, map[string]any{"type": "Feature", "properties": map[string]any{"code": fmt.Sprintf("110101%03d", f%1000), "name": "x", "level": "grid", "parent": "110101001"},
			"geometry": map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}}})
		fs[len(fs)-1]["properties"].(map[string]any)["code"] = fmt.Sprintf("G%05d", f)
	}
	raw, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkRead times the checks of files at the limits: one unit of 50,000
// positions (2 MiB), and 5,000 units of 90 (18 MiB, beyond the 3 MiB a
// request takes: the per-position cost).
func BenchmarkRead(b *testing.B) {
	for _, c := range []struct{ features, vertices int }{{1, boundary.MaxFeatureVertices - 1}, {boundary.MaxFeatures, 90}} {
		file := starFile(b, c.features, c.vertices)
		b.Run(fmt.Sprintf("%dx%d_%dKiB", c.features, c.vertices, len(file)>>10), func(b *testing.B) {
			for b.Loop() {
				if _, problems := boundary.Read(file, boundary.Options{Level: boundary.Grid}); problems != nil {
					b.Fatal(problems)
				}
			}
		})
	}
}
