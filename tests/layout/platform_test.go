package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// services are the names the platform must not know.
var services = []string{"intake", "routing", "response", "feedback", "gateway", "discovery"}

// plainWords are service names that are also plain words of the trade (an
// HTTP response, message routing). In comments they count only where they
// name a service: a possessive ("routing's") or a quoted name ("routing").
var plainWords = map[string]bool{"routing": true, "response": true, "feedback": true}

// libraries are names of things that are not ours and contain a service's
// name: grpc-gateway, the library the edge's REST routes come from.
var libraries = strings.NewReplacer("grpc-gateway", "grpc-library")

var (
	anyName    = regexp.MustCompile(`(?i)\b(` + strings.Join(services, "|") + `)\b`)
	namedPlain = regexp.MustCompile(`(?i)(\b(routing|response|feedback)'s\b|"(routing|response|feedback)")`)
)

// TestThePlatformNamesNoService: no hand-written, non-test Go file under
// platform/ names a service — in a declared identifier, a string or a
// comment. What the platform needs to know of services (their audited
// methods, their NATS users) each service declares, in its app package or in
// proto/topology.
func TestThePlatformNamesNoService(t *testing.T) {
	t.Parallel()
	for _, f := range goFiles(t, "platform", false) {
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, filepath.Join(root, f), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		report := func(pos token.Pos, what, text string) {
			t.Errorf("%s: %s %q names a service", fset.Position(pos), what, text)
		}
		for _, g := range file.Comments {
			for _, c := range g.List {
				text := libraries.Replace(c.Text)
				for _, m := range anyName.FindAllString(text, -1) {
					if !plainWords[strings.ToLower(m)] {
						report(c.Pos(), "comment", m)
					}
				}
				for _, m := range namedPlain.FindAllString(text, -1) {
					report(c.Pos(), "comment", m)
				}
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING && anyName.MatchString(libraries.Replace(n.Value)) {
					report(n.Pos(), "string", n.Value)
				}
			case *ast.Ident:
				// Only names declared here: a use of another package's name
				// (http.ResponseWriter) is not the platform's to choose.
				if n.Obj != nil && n.Obj.Pos() == n.Pos() && namesService(n.Name) {
					report(n.Pos(), "identifier", n.Name)
				}
			case *ast.FuncDecl:
				if namesService(n.Name.Name) {
					report(n.Name.Pos(), "function", n.Name.Name)
				}
			}
			return true
		})
	}
}

// namesService tells whether one of the words of a Go name (UserIntake:
// user, intake) is a service's name.
func namesService(name string) bool {
	for _, w := range words(name) {
		for _, s := range services {
			if strings.EqualFold(w, s) {
				return true
			}
		}
	}
	return false
}

// words splits a Go name at case changes and underscores.
func words(name string) []string {
	var out []string
	var cur []rune
	runes := []rune(name)
	for i, r := range runes {
		if r == '_' {
			out, cur = append(out, string(cur)), nil
			continue
		}
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(runes[i-1]) || i+1 < len(runes) && unicode.IsLower(runes[i+1])) {
			out, cur = append(out, string(cur)), nil
		}
		cur = append(cur, r)
	}
	return append(out, string(cur))
}
