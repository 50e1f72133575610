package main

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// mergeTemplates joins paths that differ only in their parameters' names,
// which OpenAPI 3 forbids: http.yaml binds PUT /v1/sla/calendar/days/{day.date}
// and DELETE /v1/sla/calendar/days/{date}, one route to a client. The
// operations move to the shorter-named template and their path parameters
// are renamed to match.
func mergeTemplates(doc *openapi3.T) error {
	byShape := map[string][]string{}
	for _, path := range doc.Paths.InMatchingOrder() {
		shape := templateParam.ReplaceAllString(path, "{}")
		byShape[shape] = append(byShape[shape], path)
	}
	for _, paths := range byShape {
		if len(paths) < 2 {
			continue
		}
		slices.SortFunc(paths, func(a, b string) int { return len(a) - len(b) })
		keep := paths[0]
		names := templateParam.FindAllStringSubmatch(keep, -1)
		for _, other := range paths[1:] {
			olds := templateParam.FindAllStringSubmatch(other, -1)
			for method, op := range doc.Paths.Value(other).Operations() {
				if doc.Paths.Value(keep).GetOperation(method) != nil {
					return fmt.Errorf("%s %s and %s %s are one route", method, keep, method, other)
				}
				for _, p := range op.Parameters {
					for i, old := range olds {
						if p.Value.In == openapi3.ParameterInPath && p.Value.Name == old[1] {
							p.Value.Name = names[i][1]
						}
					}
				}
				doc.Paths.Value(keep).SetOperation(method, op)
			}
			doc.Paths.Delete(other)
		}
	}
	return nil
}
