// Package compression compresses the gateway's answers (JSON, the console's
// assets, CSV downloads) with zstd or gzip, whichever the client prefers:
// a desk's queue of 500 dispatches is ~570 kB of JSON and ~40 kB compressed,
// which is what a phone on a mobile network feels.
package compression

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// MinSize is the smallest answer worth compressing, in bytes. A desk's action
// answers one dispatch (about 2 KiB of JSON): compressing it costs the gateway
// more CPU than the bytes it saves, and desks act many times per whistle.
// Queues, lists and reports (tens of KiB) are still compressed.
const MinSize = 4096

// Wrap compresses next's answers when the client accepts it. An answer that
// already carries a Content-Encoding, or is smaller than MinSize, or is of an
// already compressed type (images, archives) passes through unchanged. The
// event stream must not be wrapped: it is flushed event by event.
func Wrap(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(MinSize), gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil { // the options above are constant and valid
		panic(err)
	}
	return wrap(next)
}
