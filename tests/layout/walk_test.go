package layout

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// skipped are directories no Go source of ours lives in.
var skipped = map[string]bool{".git": true, "node_modules": true, ".bin": true, ".run": true, "testdata": true}

// generated is Go's marker of a generated file (protoc-gen-go, grpc-gateway,
// sqlc's queries, db.go and models.go all carry it).
var generated = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// goFiles are the hand-written Go files under dir (relative to root, with
// forward slashes), tests included when withTests.
func goFiles(t *testing.T, dir string, withTests bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipped[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || (!withTests && strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		gen, err := isGenerated(path)
		if err != nil || gen {
			return err
		}
		rel, err := filepath.Rel(root, path)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no Go files under %s: is the test run from tests/layout?", dir)
	}
	return out
}

// isGenerated tells whether the file carries the generated-code marker
// before its package clause.
func isGenerated(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if generated.MatchString(line) {
			return true, nil
		}
		if strings.HasPrefix(line, "package ") {
			return false, nil
		}
	}
	return false, sc.Err()
}
