package ctl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// fileConfig is whistlectl's config file:
//
//	url: http://127.0.0.1:8080
//	token: eyJhbGciOi...
//	output: table
type fileConfig struct {
	URL    string `yaml:"url"`
	Token  string `yaml:"token"`
	Output string `yaml:"output"`
}

// configPath is WHISTLE_CONFIG, or config.yaml under $XDG_CONFIG_HOME/whistle
// (default ~/.config/whistle); explicit says whether the user named it.
func configPath(getenv func(string) string) (path string, explicit bool) {
	if p := getenv("WHISTLE_CONFIG"); p != "" {
		return p, true
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "whistle", "config.yaml"), false
}

// loadConfigFile reads the config file; a missing default file is no error,
// a missing WHISTLE_CONFIG or an unknown key is.
func loadConfigFile(getenv func(string) string) (fileConfig, error) {
	path, explicit := configPath(getenv)
	if path == "" {
		return fileConfig{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return fileConfig{}, nil
	}
	if err != nil {
		return fileConfig{}, fmt.Errorf("config file: %w", err)
	}
	var c fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is no error
		return fileConfig{}, fmt.Errorf("config file %s: %w (keys: url, token, output)", path, err)
	}
	return c, nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
