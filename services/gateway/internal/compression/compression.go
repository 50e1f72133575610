// Package compression compresses the gateway's answers (JSON, the console's
// assets, CSV downloads) with zstd or gzip, whichever the client prefers:
// a desk's queue of 500 dispatches is ~570 kB of JSON and ~40 kB compressed,
// which is what a phone on a mobile network feels.
package compression

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// MinSize is the smallest answer worth compressing, in bytes.
const MinSize = 1024

// Wrap compresses next's answers when the client accepts it. An answer that
// already carries a Content-Encoding, or is smaller than MinSize, or is of an
// already compressed type (images, archives) passes through unchanged. The
// event stream must not be wrapped: it is flushed event by event.
func Wrap(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(MinSize))
	if err != nil { // the options above are constant and valid
		panic(err)
	}
	return wrap(next)
}
