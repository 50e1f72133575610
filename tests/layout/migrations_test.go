package layout

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// numbered is a migration file's name: its number, an underscore, a topic.
var numbered = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// sharedNumbers are the numbers two files of one set already share. A
// migration is recorded as applied by its file name (platform/postgres), so
// renaming one of these would apply it a second time on every database that
// has it; they stay as they are, and no other number may be shared.
var sharedNumbers = map[string][]string{
	"services/intake/migrations/0009": {"0009_attachments.sql", "0009_search.sql"},
	"services/intake/migrations/0012": {"0012_ticket_clock.sql", "0012_whistle_community.sql"},
}

// TestMigrationNumbersAreUniquePerSet: within one set of migrations (a
// directory of *.sql files applied in name order), every file has its own
// four-digit number, so the order two helpers' migrations run in never
// depends on their topics' spelling.
func TestMigrationNumbersAreUniquePerSet(t *testing.T) {
	t.Parallel()
	sets := map[string][]string{} // dir → file names
	for _, top := range []string{"platform", "services"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".sql") || filepath.Base(filepath.Dir(path)) != "migrations" {
				return err
			}
			rel, err := filepath.Rel(root, filepath.Dir(path))
			sets[filepath.ToSlash(rel)] = append(sets[filepath.ToSlash(rel)], d.Name())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(sets) < 2 {
		t.Fatalf("found %d migration sets: is the test run from tests/layout?", len(sets))
	}
	for dir, files := range sets {
		byNumber := map[string][]string{}
		for _, f := range files {
			m := numbered.FindStringSubmatch(f)
			if m == nil {
				t.Errorf("%s/%s: a migration is named NNNN_topic.sql", dir, f)
				continue
			}
			byNumber[m[1]] = append(byNumber[m[1]], f)
		}
		for n, fs := range byNumber {
			slices.Sort(fs)
			if len(fs) > 1 && !slices.Equal(fs, sharedNumbers[dir+"/"+n]) {
				t.Errorf("%s: %v share the number %s: give the newer one a number above every existing one", dir, fs, n)
			}
		}
	}
}
