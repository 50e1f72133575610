package blob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FS stores objects as files under a directory (make run keeps it in the run
// directory). A file is written to a temporary name, synced and renamed, so
// a reader never sees half an object; its content type sits beside it in
// <key>.meta.
type FS struct {
	root *os.Root
}

// NewFS opens (creating) dir as a store. Access goes through os.Root, so no
// key can reach outside dir, even through a symlink.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	return &FS{root: root}, nil
}

// Close releases the directory.
func (s *FS) Close() error { return s.root.Close() }

type fsMeta struct {
	ContentType string `json:"content_type"`
}

// Put writes r to key; fewer or more than size bytes is an error and leaves nothing.
func (s *FS) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if dir := filepath.Dir(key); dir != "." {
		if err := s.root.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	meta, err := json.Marshal(fsMeta{ContentType: contentType})
	if err != nil {
		return err
	}
	if err := s.write(key+".meta", bytes.NewReader(meta), int64(len(meta))); err != nil {
		return err
	}
	return s.write(key, contextReader{ctx, r}, size)
}

func (s *FS) write(name string, r io.Reader, size int64) (err error) {
	tmp := name + ".tmp"
	f, err := s.root.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = s.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, io.LimitReader(r, size+1))
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("blob: put %s: got %d bytes, want %d", name, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	return s.root.Rename(tmp, name)
}

// Get opens key.
func (s *FS) Get(_ context.Context, key string) (*Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	f, err := s.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		_ = f.Close()
		return nil, ErrNotFound
	}
	var meta fsMeta
	if b, err := s.root.ReadFile(key + ".meta"); err == nil {
		_ = json.Unmarshal(b, &meta)
	}
	return &Object{ReadCloser: f, Size: st.Size(), ContentType: meta.ContentType}, nil
}

// Delete removes key.
func (s *FS) Delete(_ context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	err := s.root.Remove(key)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	_ = s.root.Remove(key + ".meta")
	return nil
}

// contextReader stops a copy when ctx ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
