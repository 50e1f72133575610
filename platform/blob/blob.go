// Package blob stores evidence files (photos, short videos, PDFs) behind one
// interface: the local filesystem for make run and S3-compatible object
// storage (minio-go) in production. Objects are streamed through the REST edge,
// never handed out as presigned links, so every read passes the edge's
// access check on the whistle the object belongs to.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotFound is returned by Get and Delete for a key that holds no object.
var ErrNotFound = errors.New("blob: not found")

// Object is an object being read: its bytes, size and content type. The
// caller closes it.
type Object struct {
	io.ReadCloser
	Size        int64
	ContentType string
}

// Store keeps objects by key. Keys are slash-separated paths of
// [a-z0-9._-] segments (ValidKey); Put of an existing key replaces it.
type Store interface {
	// Put stores size bytes from r under key with its content type.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object under key, or ErrNotFound.
	Get(ctx context.Context, key string) (*Object, error)
	// Delete removes the object under key; a missing key is ErrNotFound.
	Delete(ctx context.Context, key string) error
}

// ValidKey refuses keys that could escape a directory or that S3 and a
// filesystem would read differently: empty segments, "." and "..", and any
// character outside lower-case letters, digits, '.', '_' and '-'.
func ValidKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("blob: key %q: must be 1 to 512 characters", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("blob: key %q: empty, . or .. segment", key)
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("blob: key %q: character %q is not allowed", key, c)
			}
		}
	}
	return nil
}
