package notify

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Headers of a delivery: the three of Standard Webhooks, and the event's name.
const (
	// HeaderID is the delivery's id, the same on every retry (de-duplicate on it).
	HeaderID = standardwebhooks.HeaderWebhookID
	// HeaderTimestamp is the unix second the attempt was signed.
	HeaderTimestamp = standardwebhooks.HeaderWebhookTimestamp
	// HeaderSignature is "v1,<base64 HMAC-SHA256>" per secret in use, space-separated.
	HeaderSignature = standardwebhooks.HeaderWebhookSignature
	// HeaderEvent names the event (dispatch.created, webhook.digest, ...).
	HeaderEvent = "Whistle-Event"
)

// SecretPrefix begins a Standard Webhooks secret; the rest is the base64 key.
const SecretPrefix = "whsec_"

// Sizes of the key a whsec_ secret may carry, and of a plain secret.
const (
	MinKeyBytes  = 24
	MaxKeyBytes  = 64
	MinSecretLen = 16
	MaxSecretLen = 256
)

// secretKey is the HMAC key of secret: a whsec_ secret carries its key in
// base64; any other secret (endpoints made before Standard Webhooks) is used
// as its bytes, as the spec's libraries do with a raw key.
func secretKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("a %s secret must be base64 after the prefix: %w", SecretPrefix, err)
	}
	return key, nil
}

// CheckSecret reports what is wrong with a secret an endpoint is given:
// whsec_ and the base64 of 24 to 64 random bytes, or (as before) any 16 to
// 256 characters.
func CheckSecret(secret string) error {
	if strings.HasPrefix(secret, SecretPrefix) {
		key, err := secretKey(secret)
		if err != nil {
			return err
		}
		if len(key) < MinKeyBytes || len(key) > MaxKeyBytes {
			return fmt.Errorf("a %s secret must carry %d to %d bytes of key", SecretPrefix, MinKeyBytes, MaxKeyBytes)
		}
		return nil
	}
	if n := len([]rune(secret)); n < MinSecretLen || len(secret) > MaxSecretLen {
		return fmt.Errorf("must be %s followed by base64 of %d to %d bytes, or %d to %d characters",
			SecretPrefix, MinKeyBytes, MaxKeyBytes, MinSecretLen, MaxSecretLen)
	}
	return nil
}

// Sign is the webhook-signature header of a delivery: "v1,<signature>" for
// each secret, space-separated (two during a rotation's overlap), each the
// base64 HMAC-SHA256 of "<id>.<unix seconds of at>.<body>".
func Sign(id string, at time.Time, body []byte, secrets ...string) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		wh, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			return "", fmt.Errorf("sign delivery %s: %w", id, err)
		}
		sig, err := wh.Sign(id, at, body)
		if err != nil {
			return "", fmt.Errorf("sign delivery %s: %w", id, err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// signingSecrets are the secrets a delivery is signed with at at: the
// endpoint's secret, and the one it replaced while the overlap lasts.
func signingSecrets(secret, previous string, previousUntil *time.Time, at time.Time) []string {
	if previous != "" && previous != secret && previousUntil != nil && at.Before(*previousUntil) {
		return []string{secret, previous}
	}
	return []string{secret}
}
