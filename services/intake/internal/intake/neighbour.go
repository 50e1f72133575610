package intake

// ViewerNeighbour marks a whistle read by a neighbouring street: its boundary
// lies within the map check's buffer of the location, so it is informed and
// may read the whistle, but not act on it.
const ViewerNeighbour = "neighbour"

// nearBoundary is routing's map check result for a location within the buffer
// of a boundary (whistle.jurisdiction_checked).
const nearBoundary = "near_boundary"

// Neighbours are the streets to inform of a whistle raised by street, given
// the map check's result and the streets it names: those of a near_boundary
// check, other than the raising street, each once. An outside or no_street
// result informs nobody (the raising street confirms; a supervisor reviews).
func Neighbours(street, result string, named []string) []string {
	if result != nearBoundary {
		return nil
	}
	var out []string
	seen := map[string]bool{street: true, "": true}
	for _, s := range named {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
