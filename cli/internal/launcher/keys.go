package launcher

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/chuishao/whistle/platform/auth"
)

// LoadOrCreateKey returns the Ed25519 key stored at path (a base64 seed),
// creating it first if missing, so dev tokens survive restarts.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := auth.ParsePrivateKey(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, fmt.Errorf("dev key %s: %w (delete it to make a new one)", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read dev key: %w", err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate dev key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create dev key directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(auth.EncodeKey(key.Seed())+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write dev key: %w", err)
	}
	return key, nil
}
