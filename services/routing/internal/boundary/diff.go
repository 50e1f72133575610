package boundary

import (
	"cmp"
	"slices"
)

// Change kinds.
const (
	Added   = "added"
	Changed = "changed"
	Removed = "removed"
)

// Change is one unit that differs between two sets of boundaries.
type Change struct {
	Kind          string
	Before, After *Unit
}

// Unit is the unit as it is after the change, or was before a removal.
func (c Change) Unit() Unit {
	if c.After != nil {
		return *c.After
	}
	return *c.Before
}

// Merge is the set of units after an import: the imported units replace
// those with the same level and code and join the rest. With replace, the
// import is the whole of every level it holds: units of those levels it
// does not hold are dropped.
func Merge(current, imported []Unit, replace bool) []Unit {
	levels := map[Level]bool{}
	byKey := map[string]bool{}
	for _, u := range imported {
		levels[u.Level] = true
		byKey[u.Key()] = true
	}
	out := make([]Unit, 0, len(current)+len(imported))
	for _, u := range current {
		if byKey[u.Key()] || replace && levels[u.Level] {
			continue
		}
		out = append(out, u)
	}
	out = append(out, imported...)
	sortUnits(out)
	return out
}

// Diff lists the units that differ from before to after, by level and code.
func Diff(before, after []Unit) []Change {
	old := make(map[string]*Unit, len(before))
	for i := range before {
		old[before[i].Key()] = &before[i]
	}
	var out []Change
	seen := make(map[string]bool, len(after))
	for i := range after {
		u := &after[i]
		seen[u.Key()] = true
		switch o, ok := old[u.Key()]; {
		case !ok:
			out = append(out, Change{Kind: Added, After: u})
		case o.Name != u.Name || o.Parent != u.Parent || !o.Shape.Equal(u.Shape):
			out = append(out, Change{Kind: Changed, Before: o, After: u})
		}
	}
	for i := range before {
		if !seen[before[i].Key()] {
			out = append(out, Change{Kind: Removed, Before: &before[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return compareUnits(a.Unit(), b.Unit()) })
	return out
}

func sortUnits(us []Unit) { slices.SortFunc(us, compareUnits) }

// compareUnits orders units by level, from the largest, then by code.
func compareUnits(a, b Unit) int {
	return cmp.Or(cmp.Compare(slices.Index(Levels, a.Level), slices.Index(Levels, b.Level)), cmp.Compare(a.Code, b.Code))
}
