package layout

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// maxLines is the longest a hand-written Go file may be: past it, a file
// holds more than one topic and is split by topic.
const maxLines = 500

// longTests are test files that were longer than maxLines when the limit
// came, at that length. Other work was changing them at the time, so they
// are split when that work has landed; until then each may shrink but not
// grow, and one at or below maxLines must leave this list.
var longTests = map[string]int{
	"cli/internal/launcher/launcher_test.go": 532,
	"services/feedback/app/report_test.go":   675,
	"services/response/app/app_test.go":      534,
	"tests/e2e/authz_admin_rows_test.go":     578,
	"tests/e2e/authz_matrix_test.go":         581,
}

// TestNoHandWrittenGoFileIsOverMaxLines: every hand-written Go file, tests
// included, is at most maxLines lines (but longTests); generated code is
// exempt.
func TestNoHandWrittenGoFileIsOverMaxLines(t *testing.T) {
	t.Parallel()
	for _, f := range goFiles(t, ".", true) {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(data, []byte("\n"))
		limit, long := longTests[f]
		switch {
		case long && n <= maxLines:
			t.Errorf("%s has %d lines now: take it off longTests", f, n)
		case long && n > limit:
			t.Errorf("%s has %d lines, more than its %d: split it by topic", f, n, limit)
		case !long && n > maxLines:
			t.Errorf("%s has %d lines, more than %d: split it by topic", f, n, maxLines)
		}
	}
}
