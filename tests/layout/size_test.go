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

// TestNoHandWrittenGoFileIsOverMaxLines: every hand-written Go file, tests
// included, is at most maxLines lines; generated code is exempt.
func TestNoHandWrittenGoFileIsOverMaxLines(t *testing.T) {
	t.Parallel()
	for _, f := range goFiles(t, ".", true) {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(data, []byte("\n"))
		if n > maxLines {
			t.Errorf("%s has %d lines, more than %d: split it by topic", f, n, maxLines)
		}
	}
}
