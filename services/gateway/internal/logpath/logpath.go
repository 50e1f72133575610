// Package logpath keeps residents' follow-up tokens out of the gateway's logs:
// the public follow-up routes and Open311's tokens/ resource carry a token in
// their path, and a token in a log line is a working link to rate a result.
package logpath

import "strings"

// Token stands for a token removed from a path.
const Token = "[token]"

// tokenSegments are the path prefixes whose next segment is a token.
var tokenSegments = []string{"/v1/public/follow-ups/", "/tokens/"}

// Redact is p with the token after each token-bearing prefix replaced by Token,
// keeping a custom method (":rate") or a format suffix (".json") after it.
func Redact(p string) string {
	for _, prefix := range tokenSegments {
		i := strings.Index(p, prefix)
		if i < 0 {
			continue
		}
		start := i + len(prefix)
		end := start + strings.IndexAny(p[start:]+"/", "/:.")
		if end > start {
			p = p[:start] + Token + p[end:]
		}
	}
	return p
}
