package boundary

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/chuishao/whistle/platform/geo/coordsys"
)

// Level is a kind of administrative unit.
type Level string

// The levels, from the largest.
const (
	District  Level = "district"  // 区, six-digit code
	Street    Level = "street"    // 街道/乡镇, nine-digit code
	Community Level = "community" // 社区/村, twelve-digit code
	Grid      Level = "grid"      // 网格, the street's own code
)

// Levels lists every level, from the largest.
var Levels = []Level{District, Street, Community, Grid}

// ParseLevel reads a level's name.
func ParseLevel(s string) (Level, bool) {
	for _, l := range Levels {
		if string(l) == strings.ToLower(strings.TrimSpace(s)) {
			return l, true
		}
	}
	return "", false
}

// Unit is one administrative unit and its boundary.
type Unit struct {
	Level Level
	Code  string
	Name  string
	// Parent is the code of the unit it lies in: a street's district, a
	// community's street, a grid's street or community.
	Parent string
	// Shape is the boundary in WGS-84.
	Shape orb.MultiPolygon
}

// Key identifies a unit within a version.
func (u Unit) Key() string { return string(u.Level) + ":" + u.Code }

// Geometry is the unit's boundary as a GeoJSON MultiPolygon.
func (u Unit) Geometry() ([]byte, error) { return geojson.NewGeometry(u.Shape).MarshalJSON() }

// Limits of one imported file, besides its size in bytes (the request's).
const (
	MaxFeatures        = 5000
	MaxFeatureVertices = 50_000
	MaxVertices        = 500_000
	// MaxProblems is how many failing features a refusal names.
	MaxProblems = 10
	maxName     = 64
)

// Options say how to read a file's features.
type Options struct {
	// Level of features without a "level" property.
	Level Level
	// Properties holding each feature's code, name and parent's code
	// ("code", "name" and "parent" when empty). A feature's own id stands in
	// for a missing code.
	CodeProperty, NameProperty, ParentProperty string
	// CoordSys is the system the file's positions are in; they are stored in WGS-84.
	CoordSys coordsys.System
}

// Problem is why a file, or one of its features, cannot be imported.
type Problem struct {
	// Index of the feature in the file; -1 for the file as a whole.
	Index int
	// ID is the feature's code or id, when it has one.
	ID     string
	Reason string
}

// Field names the problem's place in the request: the file, or one feature.
func (p Problem) Field() string {
	if p.Index < 0 {
		return "geojson"
	}
	return fmt.Sprintf("geojson.features[%d]", p.Index)
}

// Message is the problem as one line, naming the feature.
func (p Problem) Message() string {
	if p.ID == "" {
		return p.Reason
	}
	return fmt.Sprintf("%s: %s", p.ID, p.Reason)
}

var codeFormats = map[Level]*regexp.Regexp{
	District:  regexp.MustCompile(`^\d{6}$`),
	Street:    regexp.MustCompile(`^\d{9}$`),
	Community: regexp.MustCompile(`^\d{12}$`),
	Grid:      regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`),
}

var codeRules = map[Level]string{
	District:  "a six-digit district code",
	Street:    "a nine-digit township code",
	Community: "a twelve-digit village/community code",
	Grid:      "1 to 40 letters, digits, - or _",
}

// Read checks a GeoJSON FeatureCollection and returns its units, or, when
// any feature is wrong, no units and the first MaxProblems problems.
func Read(file []byte, opt Options) ([]Unit, []Problem) {
	fail := func(format string, args ...any) ([]Unit, []Problem) {
		return nil, []Problem{{Index: -1, Reason: fmt.Sprintf(format, args...)}}
	}
	var top struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(file, &top); err != nil {
		return fail("is not JSON: %v", err)
	}
	if top.Type != "FeatureCollection" {
		return fail("is a %q, not a GeoJSON FeatureCollection", top.Type)
	}
	switch n := len(top.Features); {
	case n == 0:
		return fail("has no features")
	case n > MaxFeatures:
		return fail("has %d features, at most %d are imported at once: split the file", n, MaxFeatures)
	}
	opt = opt.withDefaults()
	var (
		units    []Unit
		problems []Problem
		vertices int
	)
	seen := map[string]int{}
	for i, raw := range top.Features {
		u, p := opt.feature(i, raw)
		if p == nil {
			vertices += countVertices(u.Shape)
			if j, dup := seen[u.Key()]; dup {
				p = &Problem{Index: i, ID: u.Code, Reason: fmt.Sprintf("%s %s is already feature %d", u.Level, u.Code, j)}
			}
			seen[u.Key()] = i
		}
		if p != nil {
			if problems = append(problems, *p); len(problems) == MaxProblems {
				break
			}
			continue
		}
		units = append(units, u)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if vertices > MaxVertices {
		return fail("has %d positions, at most %d are imported at once: split the file", vertices, MaxVertices)
	}
	return units, nil
}

func (o Options) withDefaults() Options {
	if o.CodeProperty == "" {
		o.CodeProperty = "code"
	}
	if o.NameProperty == "" {
		o.NameProperty = "name"
	}
	if o.ParentProperty == "" {
		o.ParentProperty = "parent"
	}
	if o.CoordSys == "" {
		o.CoordSys = coordsys.WGS84
	}
	return o
}

// feature reads and checks feature i.
func (o Options) feature(i int, raw json.RawMessage) (Unit, *Problem) {
	f, err := geojson.UnmarshalFeature(raw)
	if err == nil {
		err = checkPositions(raw, true)
	}
	if err != nil {
		return Unit{}, &Problem{Index: i, Reason: fmt.Sprintf("is not a GeoJSON Feature: %v", err)}
	}
	u := Unit{Code: text(f.Properties[o.CodeProperty]), Name: text(f.Properties[o.NameProperty])}
	if u.Code == "" {
		u.Code = text(f.ID)
	}
	bad := func(format string, args ...any) (Unit, *Problem) {
		return Unit{}, &Problem{Index: i, ID: u.Code, Reason: fmt.Sprintf(format, args...)}
	}
	level, ok := o.Level, o.Level != ""
	if l := text(f.Properties["level"]); l != "" {
		level, ok = ParseLevel(l)
	}
	if !ok {
		return bad("level must be district, street, community or grid (a \"level\" property, or the import's level)")
	}
	u.Level = level
	if !codeFormats[level].MatchString(u.Code) {
		return bad("code %q of a %s must be %s (property %q)", u.Code, level, codeRules[level], o.CodeProperty)
	}
	switch n := utf8.RuneCountInString(u.Name); {
	case n == 0:
		return bad("name is required (property %q)", o.NameProperty)
	case n > maxName:
		return bad("name must be at most %d characters, got %d", maxName, n)
	}
	parent, problem := parentOf(level, u.Code, text(f.Properties[o.ParentProperty]))
	if problem != "" {
		return bad("%s", problem)
	}
	u.Parent = parent
	mp, err := multiPolygon(f.Geometry)
	if err != nil {
		return bad("geometry %v", err)
	}
	if n := countVertices(mp); n > MaxFeatureVertices {
		return bad("has %d positions, at most %d per unit: simplify it", n, MaxFeatureVertices)
	}
	if err := Structure(mp); err != nil {
		return bad("%v", err)
	}
	u.Shape = toWGS84(o.CoordSys, mp)
	if err := Topology(u.Shape); err != nil {
		return bad("%v", err)
	}
	return u, nil
}

// parentOf is the code of the unit a unit lies in: official codes nest (a
// street's code begins with its district's), so only a grid must name it.
func parentOf(level Level, code, given string) (string, string) {
	var implied string
	switch level {
	case Street:
		implied = code[:6]
	case Community:
		implied = code[:9]
	case Grid:
		if !codeFormats[Street].MatchString(given) && !codeFormats[Community].MatchString(given) {
			return "", fmt.Sprintf("a grid's parent %q must be its street's nine-digit or its community's twelve-digit code", given)
		}
		return given, ""
	}
	if given != "" && given != implied {
		return "", fmt.Sprintf("parent %q does not match the code %s, which lies in %s", given, code, implied)
	}
	return implied, ""
}

// text reads a property or id as text: a string as it is, a whole number
// without exponent or decimals (codes are often numbers in exported files).
func text(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}

func countVertices(mp orb.MultiPolygon) int {
	n := 0
	for _, poly := range mp {
		for _, r := range poly {
			n += len(r)
		}
	}
	return n
}

func toWGS84(sys coordsys.System, mp orb.MultiPolygon) orb.MultiPolygon {
	if sys == coordsys.WGS84 {
		return mp
	}
	out := make(orb.MultiPolygon, len(mp))
	for i, poly := range mp {
		out[i] = make(orb.Polygon, len(poly))
		for j, r := range poly {
			out[i][j] = make(orb.Ring, len(r))
			for k, p := range r {
				w := coordsys.ToWGS84(sys, coordsys.Point{Lat: p.Lat(), Lng: p.Lon()})
				out[i][j][k] = orb.Point{w.Lng, w.Lat}
			}
		}
	}
	return out
}
