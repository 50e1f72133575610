package routing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chuishao/whistle/platform/invalid"
)

// DraftVersion names the one editable version of the catalogue.
const DraftVersion = "draft"

// Rule is one routing catalogue rule: a category (in one district, or
// city-wide when DistrictID is empty) goes to exactly one lead department and
// its cooperating departments, with the SLA policy of their dispatches.
type Rule struct {
	Category    string
	DistrictID  string
	Lead        string
	Cooperating []string
	SLA         SLA
}

// Name is how decisions cite the rule: category:noise, or
// category:noise@110105 for a district's override.
func (r Rule) Name() string {
	if r.DistrictID == "" {
		return RuleFor(r.Category)
	}
	return RuleFor(r.Category) + "@" + r.DistrictID
}

// Key identifies a rule within a version.
func (r Rule) Key() string { return r.Category + "@" + r.DistrictID }

// Equal reports whether two rules route the same way.
func (r Rule) Equal(o Rule) bool {
	return r.Key() == o.Key() && r.Lead == o.Lead && slices.Equal(r.Cooperating, o.Cooperating) && r.SLA == o.SLA
}

// AsCategory turns the rule into the category entry PlanFor takes.
func (r Rule) AsCategory(version string) Category {
	return Category{Code: r.Category, Lead: r.Lead, Cooperating: r.Cooperating, SLA: r.SLA, CatalogueVersion: version}
}

// Reference is what a catalogue's rules may name.
type Reference struct {
	Categories  map[string]bool
	Departments map[string]bool
	Districts   map[string]bool
}

// Violation is one field-level problem of a draft, named by its request field
// path (rules[2].lead_department).
type Violation = invalid.Violation

// ValidateCatalogue checks a draft: known categories, districts and
// departments; exactly one rule — so exactly one lead — per category and
// district; the lead not repeated as cooperating; positive SLA limits; and a
// city-wide rule for every category.
func ValidateCatalogue(rules []Rule, ref Reference) []Violation {
	var out []Violation
	add := func(field, format string, args ...any) {
		out = append(out, Violation{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	seen := map[string]int{}
	cityWide := map[string]bool{}
	for i, r := range rules {
		f := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.Category == "":
			add(f+".category", "is required")
		case !ref.Categories[r.Category]:
			add(f+".category", "unknown category %q", r.Category)
		}
		if r.DistrictID != "" && !ref.Districts[r.DistrictID] {
			add(f+".district_id", "unknown district %q", r.DistrictID)
		}
		if j, dup := seen[r.Key()]; dup {
			where := "city-wide"
			if r.DistrictID != "" {
				where = "in district " + r.DistrictID
			}
			add(f+".category", "category %q already has a rule %s (rules[%d]): a category has exactly one lead department", r.Category, where, j)
		} else {
			seen[r.Key()] = i
		}
		if r.DistrictID == "" {
			cityWide[r.Category] = true
		}
		switch {
		case r.Lead == "":
			add(f+".lead_department", "is required: a category has exactly one lead department")
		case !ref.Departments[r.Lead]:
			add(f+".lead_department", "unknown department %q", r.Lead)
		}
		coop := map[string]bool{}
		for j, d := range r.Cooperating {
			cf := fmt.Sprintf("%s.cooperating_departments[%d]", f, j)
			switch {
			case !ref.Departments[d]:
				add(cf, "unknown department %q", d)
			case d == r.Lead:
				add(cf, "%q is the lead department; a category has exactly one lead", d)
			case coop[d]:
				add(cf, "%q is listed twice", d)
			}
			coop[d] = true
		}
		if r.SLA.AckWithin <= 0 {
			add(f+".sla.ack_within", "must be positive")
		}
		if r.SLA.ArriveWithin <= 0 {
			add(f+".sla.arrive_within", "must be positive")
		}
		if r.SLA.ResolveWithin <= 0 {
			add(f+".sla.resolve_within", "must be positive")
		}
	}
	var missing []string
	for c := range ref.Categories {
		if !cityWide[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		add("rules", "no city-wide rule for categories %s: every category needs exactly one lead department", strings.Join(missing, ", "))
	}
	return out
}

// Change is one difference between two catalogue versions.
type Change struct {
	// Kind is added, removed or changed.
	Kind          string
	Before, After *Rule
}

// Diff lists the rules that differ from before to after, by category and district.
func Diff(before, after []Rule) []Change {
	old := map[string]Rule{}
	for _, r := range before {
		old[r.Key()] = r
	}
	var out []Change
	seen := map[string]bool{}
	for _, r := range after {
		seen[r.Key()] = true
		o, ok := old[r.Key()]
		switch {
		case !ok:
			out = append(out, Change{Kind: "added", After: &r})
		case !o.Equal(r):
			out = append(out, Change{Kind: "changed", Before: &o, After: &r})
		}
	}
	for _, r := range before {
		if !seen[r.Key()] {
			out = append(out, Change{Kind: "removed", Before: &r})
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		return strings.Compare(changeKey(a), changeKey(b))
	})
	return out
}

func changeKey(c Change) string {
	if c.After != nil {
		return c.After.Key()
	}
	return c.Before.Key()
}

// Explain is the human-readable reason one department was dispatched.
func Explain(role, rule, version, from, returnReason string) string {
	switch role {
	case RoleLead:
		return fmt.Sprintf("lead department of rule %s in catalogue %s", rule, version)
	case RoleCooperating:
		return fmt.Sprintf("cooperating department of rule %s in catalogue %s", rule, version)
	case RoleFallback:
		switch rule {
		case RuleFallbackNoStreet:
			return "兜底: the location is in no street, so the district government takes it pending review"
		default:
			return fmt.Sprintf("兜底: catalogue %s has no rule for the category", version)
		}
	case RoleRedirected:
		return fmt.Sprintf("%s returned its dispatch naming this department (%s)", from, returnReason)
	case RoleArbitrated:
		return "assigned by the district supervisor's arbitration (审定)"
	case RoleAdded:
		return "added by hand (manual 吹哨)"
	}
	return rule
}
