package blob

import (
	"context"
	"errors"
)

// Config chooses the store from the environment (docs/operations.md): S3
// when WHISTLE_S3_ENDPOINT is set, else the filesystem under
// WHISTLE_BLOB_DIR, else none (attachments are switched off).
type Config struct {
	Dir            string `env:"WHISTLE_BLOB_DIR"`
	S3Endpoint     string `env:"WHISTLE_S3_ENDPOINT"`
	S3Region       string `env:"WHISTLE_S3_REGION, default=us-east-1"`
	S3Bucket       string `env:"WHISTLE_S3_BUCKET, default=whistle-evidence"`
	S3AccessKey    string `env:"WHISTLE_S3_ACCESS_KEY"`
	S3SecretKey    string `env:"WHISTLE_S3_SECRET_KEY"`
	S3CreateBucket bool   `env:"WHISTLE_S3_CREATE_BUCKET, default=false"`
}

// Enabled tells whether a store is configured.
func (c Config) Enabled() bool { return c.Dir != "" || c.S3Endpoint != "" }

// Open opens the configured store, or nil when none is configured.
func (c Config) Open(ctx context.Context) (Store, error) {
	switch {
	case c.S3Endpoint != "":
		if c.S3AccessKey == "" || c.S3SecretKey == "" {
			return nil, errors.New("blob: WHISTLE_S3_ACCESS_KEY and WHISTLE_S3_SECRET_KEY are required with WHISTLE_S3_ENDPOINT")
		}
		return NewS3(ctx, S3Config{
			Endpoint: c.S3Endpoint, Region: c.S3Region, Bucket: c.S3Bucket,
			AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey, CreateBucket: c.S3CreateBucket,
		})
	case c.Dir != "":
		return NewFS(c.Dir)
	}
	return nil, nil
}
