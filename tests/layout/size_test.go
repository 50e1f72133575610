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
// came. Other work was adding to them at the time (the authorisation
// matrix's rows among it), so they are split by topic when that work has
// landed; until then they are exempt, and one at or below maxLines must
// leave this list.
var longTests = map[string]bool{
	"services/feedback/app/report_test.go": true,
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
		switch {
		case longTests[f] && n <= maxLines:
			t.Errorf("%s has %d lines now: take it off longTests", f, n)
		case !longTests[f] && n > maxLines:
			t.Errorf("%s has %d lines, more than %d: split it by topic", f, n, maxLines)
		}
	}
}
