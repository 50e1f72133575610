package launcher

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Each backend runs as its own database role (whistle_<service>), with a
// password made fresh for every run; its schema is migrated first by the same
// binary as the database admin (DATABASE_URL), the way a deployment's
// migration job does it.

// newDatabasePasswords makes a password for each backend's role.
func newDatabasePasswords(backends []Backend) (map[string]string, error) {
	out := make(map[string]string, len(backends))
	for _, b := range backends {
		raw := make([]byte, 16)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("database password: %w", err)
		}
		out[b.Name] = hex.EncodeToString(raw)
	}
	return out, nil
}

// timelineKeyID names the key LoadOrCreateTimelineKeys makes.
const timelineKeyID = "dev1"

// LoadOrCreateTimelineKeys returns the feedback service's chain key list
// (WHISTLE_TIMELINE_KEYS) stored at path, creating it with one random key
// first if missing: the timelines in the database were sealed with it, so it
// must survive restarts.
func LoadOrCreateTimelineKeys(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(raw)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read timeline key: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("generate timeline key: %w", err)
	}
	keys := timelineKeyID + ":" + base64.StdEncoding.EncodeToString(secret)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create timeline key directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(keys+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write timeline key: %w", err)
	}
	return keys, nil
}

// migrate runs each backend's migration step (Process.MigrateEnv) in turn
// and waits for it to finish.
func migrate(ctx context.Context, sup *Supervisor, procs []Process) error {
	for _, p := range procs {
		if p.MigrateEnv == nil {
			continue
		}
		cmd := exec.CommandContext(ctx, p.Binary)
		cmd.Env = p.MigrateEnv
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("migrate %s: %w\n%s", p.Name, err, out.String())
		}
		sup.Printf("%s: schema migrated, runs as role whistle_%s", p.Name, p.Name)
	}
	return nil
}
