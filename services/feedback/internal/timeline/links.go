package timeline

import (
	"encoding/json"
	"slices"
)

// Event types whose entries link timelines.
const (
	typeMerged       = "whistle.merged"
	typeJurisdiction = "whistle.jurisdiction_checked"
)

// MergedInto is the whistle that whistleID was merged into, as its
// whistle.merged entry records ("" when it was not merged). The same event is
// on the surviving whistle's timeline too; there it names another whistle as
// merged, so it does not count.
func MergedInto(whistleID string, entries []Entry) string {
	for _, e := range entries {
		if e.Type != typeMerged {
			continue
		}
		var m struct {
			Into   string `json:"into_whistle_id"`
			Merged string `json:"merged_whistle_id"`
		}
		if json.Unmarshal(e.Data, &m) == nil && m.Merged == whistleID && m.Into != "" && m.Into != whistleID {
			return m.Into
		}
	}
	return ""
}

// Neighbours are the streets a near_boundary map check informed of the whistle
// (whistle.jurisdiction_checked); other results inform nobody.
func Neighbours(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		if e.Type != typeJurisdiction {
			continue
		}
		var c struct {
			Result     string   `json:"result"`
			Neighbours []string `json:"neighbour_street_ids"`
		}
		if json.Unmarshal(e.Data, &c) == nil && c.Result == "near_boundary" {
			for _, s := range c.Neighbours {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// Join interleaves several whistles' chains by time: each chain keeps its own
// (seq) order, and of the chains' next entries the earliest comes first, the
// earlier chain on a tie. A single chain comes back as it is.
func Join(chains ...[]Entry) []Entry {
	if len(chains) == 1 {
		return chains[0]
	}
	var out []Entry
	next := make([]int, len(chains))
	for {
		pick := -1
		for c, chain := range chains {
			if next[c] < len(chain) && (pick < 0 || chain[next[c]].At.Before(chains[pick][next[pick]].At)) {
				pick = c
			}
		}
		if pick < 0 {
			return out
		}
		out = append(out, chains[pick][next[pick]])
		next[pick]++
	}
}
