// Package layout holds the tests of the repository's shape: what the
// platform may name, how long a hand-written file may grow, how migrations
// are numbered. It has no code of its own.
package layout
