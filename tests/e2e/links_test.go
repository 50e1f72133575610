package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// xichanganjie is 西长安街街道 of 西城区: its boundary runs along 东华门's
// western edge (lng 116.39).
const xichanganjie = "110102001"

// metresNorth is lat moved north by m metres.
func metresNorth(lat, m float64) float64 { return lat + m/111195.0 }

// raiseAt raises a whistle as the street at a point and answers its body.
func raiseAt(t *testing.T, s *system, street, category, description string, lat, lng float64) map[string]any {
	t.Helper()
	r := s.do(t, http.MethodPost, "/v1/whistles", streetToken(t, s, street), map[string]any{
		"street_id": street, "category": category, "description": description,
		"location": map[string]any{"lat": lat, "lng": lng}})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	return r.body
}

func candidateIDs(w map[string]any) []string {
	var out []string
	for _, c := range list(w["duplicate_candidates"]) {
		out = append(out, str(obj(c)["whistle_id"]))
	}
	return out
}

// The probe of the finding: a 东城 street raises a whistle at a point inside
// 西城, next to a 西城 street's open whistle of the same category. It is not
// offered that whistle as a candidate, cannot merge into it (404, as for an
// unknown id), and reads nothing of it through its own whistle's timeline;
// the 西城 whistle records no merge.
func TestMergeAcrossDistrictsIsRefused(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	victim := raiseAt(t, s, xichanganjie, "noise", "张三 13800000000 反映工地夜间施工", 39.91, 116.38)
	victimID := str(victim["id"])
	attackerTok := streetToken(t, s, donghuamen)
	own := raiseAt(t, s, donghuamen, "noise", "夜间噪音", metresNorth(39.91, 20), 116.38)
	ownID := str(own["id"])
	require.NotContains(t, candidateIDs(own), victimID, "another district's whistle is no candidate")

	merge := s.do(t, http.MethodPost, "/v1/whistles/"+ownID+":merge", attackerTok, map[string]any{"into_whistle_id": victimID})
	require.Equal(t, http.StatusNotFound, merge.status, merge.raw)
	unknown := s.do(t, http.MethodPost, "/v1/whistles/"+ownID+":merge", attackerTok, map[string]any{"into_whistle_id": "no-such-whistle"})
	require.Equal(t, http.StatusNotFound, unknown.status, unknown.raw)
	require.Equal(t, unknown.body, merge.body, "an out-of-scope target answers as an unknown one")

	got := s.do(t, http.MethodGet, "/v1/whistles/"+ownID, attackerTok, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Empty(t, str(got.body["merged_into"]))
	require.NotEqual(t, "CANCELLED", str(got.body["status"]))
	eventually(t, "the attacker's timeline", func() bool {
		tl := s.do(t, http.MethodGet, "/v1/whistles/"+ownID+"/timeline", attackerTok, nil)
		return tl.status == http.StatusOK && contains(timelineTypes(t, s, attackerTok, ownID), "whistle.raised")
	})
	tl := s.do(t, http.MethodGet, "/v1/whistles/"+ownID+"/timeline", attackerTok, nil)
	require.NotContains(t, tl.raw, "13800000000")
	require.NotContains(t, timelineWhistles(t, s, attackerTok, ownID), victimID)

	v := s.do(t, http.MethodGet, "/v1/whistles/"+victimID, streetToken(t, s, xichanganjie), nil)
	require.Equal(t, http.StatusOK, v.status, v.raw)
	require.Empty(t, list(v.body["merged_whistle_ids"]))
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+victimID, attackerTok, nil).status)
}

// Duplicate candidates are the raising street's own whistles only: not a
// neighbouring street's 40 m away across the boundary, even when the new
// whistle's point lies inside that street (a point outside the street is
// still raised, for routing's location check to settle).
func TestDuplicateCandidatesStayInTheCallersStreet(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	const boundary, lng = 39.922, 116.395 // 东华门 (south) | 景山 (north)
	jingshan := raiseAt(t, s, "110101002", "noise", "噪音", metresNorth(boundary, 20), lng)
	ownSouth := raiseAt(t, s, donghuamen, "noise", "噪音", metresNorth(boundary, -20), lng)
	require.Empty(t, candidateIDs(ownSouth), "景山's whistle 40 m away is not 东华门's candidate")

	// 东华门 raises at a point inside 景山, 5 m from 景山's whistle.
	ownNorth := raiseAt(t, s, donghuamen, "noise", "噪音", metresNorth(boundary, 25), lng)
	require.Equal(t, []string{str(ownSouth["id"])}, candidateIDs(ownNorth), "its own street's whistle only")
	require.NotContains(t, candidateIDs(ownNorth), str(jingshan["id"]))

	// 景山's next whistle there sees its own, not 东华门's (one of them 1 m away).
	next := raiseAt(t, s, "110101002", "noise", "噪音", metresNorth(boundary, 26), lng)
	require.Equal(t, []string{str(jingshan["id"])}, candidateIDs(next))

	// What a street reads back of its candidates is what it was offered.
	got := s.do(t, http.MethodGet, "/v1/whistles/"+str(ownNorth["id"]), streetToken(t, s, donghuamen), nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Equal(t, []string{str(ownSouth["id"])}, candidateIDs(got.body))
}

// nearBoundaryPair sets up a link across scopes the legitimate way: 东华门
// raises a joint-enforcement whistle 80 m inside its boundary with 景山 (the
// target), then a duplicate 20 m inside it (景山 is informed of that one as a
// neighbour, not of the target). It answers both ids once both are routed
// and 景山 reads the duplicate.
func nearBoundaryPair(t *testing.T, s *system) (target, dup string) {
	t.Helper()
	const boundary, lng = 39.922, 116.395
	ownTok := streetToken(t, s, donghuamen)
	target = str(raiseAt(t, s, donghuamen, "joint-enforcement", "联合执法", metresNorth(boundary, -80), lng)["id"])
	d := raiseAt(t, s, donghuamen, "joint-enforcement", "联合执法（重复）", metresNorth(boundary, -20), lng)
	dup = str(d["id"])
	require.Equal(t, []string{target}, candidateIDs(d))
	for _, id := range []string{target, dup} {
		eventually(t, "dispatches of "+id, func() bool {
			return len(list(s.do(t, http.MethodGet, "/v1/whistles/"+id, ownTok, nil).body["dispatches"])) == 3
		})
	}
	jingshanTok := streetToken(t, s, "110101002")
	eventually(t, "景山 informed of the duplicate", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+dup, jingshanTok, nil).status == http.StatusOK &&
			s.do(t, http.MethodGet, "/v1/whistles/"+dup+"/timeline", jingshanTok, nil).status == http.StatusOK
	})
	return target, dup
}

// mergeInto merges dup into target as 东华门 and waits for the merge on both timelines.
func mergeInto(t *testing.T, s *system, dup, target string) {
	t.Helper()
	ownTok := streetToken(t, s, donghuamen)
	r := s.do(t, http.MethodPost, "/v1/whistles/"+dup+":merge", ownTok, map[string]any{"into_whistle_id": target})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	eventually(t, "the merge on both timelines", func() bool {
		return contains(timelineTypes(t, s, ownTok, dup), "whistle.merged") && contains(timelineTypes(t, s, ownTok, target), "whistle.merged")
	})
}

// mergedNearBoundary is nearBoundaryPair with the duplicate merged into the target.
func mergedNearBoundary(t *testing.T, s *system) (target, dup string) {
	t.Helper()
	target, dup = nearBoundaryPair(t, s)
	mergeInto(t, s, dup, target)
	return target, dup
}

// A street informed of a merged whistle as a neighbour reads that whistle,
// but not the whistle it was merged into: neither its dispatches on GET nor
// its entries on the timeline. The raising street reads both.
func TestTimelineDoesNotFollowLinksOutOfScope(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	target, dup := mergedNearBoundary(t, s)
	ownTok, jingshanTok := streetToken(t, s, donghuamen), streetToken(t, s, "110101002")
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+target, jingshanTok, nil).status)

	require.Contains(t, timelineWhistles(t, s, ownTok, dup), target, "the raising street reads the shared timeline")
	require.NotContains(t, timelineWhistles(t, s, jingshanTok, dup), target)
	require.Contains(t, timelineWhistles(t, s, jingshanTok, dup), dup)

	whistlesOfDispatches := func(tok string) []string {
		r := s.do(t, http.MethodGet, "/v1/whistles/"+dup, tok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		var out []string
		for _, d := range list(r.body["dispatches"]) {
			out = append(out, str(obj(d)["whistle_id"]))
		}
		return out
	}
	require.Contains(t, whistlesOfDispatches(ownTok), target)
	require.NotContains(t, whistlesOfDispatches(jingshanTok), target)
	require.Len(t, whistlesOfDispatches(jingshanTok), 3, "its own (cancelled) dispatches")

	// The surviving whistle lists what was merged into it to whoever reads it.
	survivor := s.do(t, http.MethodGet, "/v1/whistles/"+target, ownTok, nil)
	require.Equal(t, []any{dup}, survivor.body["merged_whistle_ids"])
}

// The upward report of a merged whistle goes on with the surviving whistle
// only for a caller who may read that whistle: a neighbour gets the merged
// whistle's own story.
func TestUpwardReportLeavesOutOfScopeLinks(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	target, dup := mergedNearBoundary(t, s)
	reportWhistles := func(tok string) []string {
		r := s.do(t, http.MethodGet, "/v1/whistles/"+dup+"/report", tok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		var out []string
		for _, d := range list(r.body["dispatches"]) {
			out = append(out, str(obj(d)["whistle_id"]))
		}
		return out
	}
	eventually(t, "the owner's report goes on with the target", func() bool {
		return contains(reportWhistles(streetToken(t, s, donghuamen)), target)
	})
	neighbour := reportWhistles(streetToken(t, s, "110101002"))
	require.NotContains(t, neighbour, target)
	require.Len(t, neighbour, 3)
	for _, w := range neighbour {
		require.Equal(t, dup, w)
	}
	r := s.do(t, http.MethodGet, "/v1/whistles/"+dup+"/report", streetToken(t, s, "110101002"), nil)
	require.Equal(t, 1, strings.Count(str(r.body["text"]), "已合并至吹哨 "+target), "the merge itself is the whistle's own fact")
}
