package signin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// A sign-in in progress travels in its browser's whistle_login cookie,
// sealed (AES-256-GCM) with a key every gateway replica derives from the
// signing key: no server state per click on the sign-in button, so nobody
// can fill the session bucket by clicking it.

func sealJSON(key [32]byte, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode sign-in: %w", err)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(loginCookie))), nil
}

func openJSON(key [32]byte, sealed string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return errors.New("malformed sign-in cookie")
	}
	aead, err := newAEAD(key)
	if err != nil {
		return err
	}
	if len(raw) < aead.NonceSize() {
		return errors.New("malformed sign-in cookie")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(loginCookie))
	if err != nil {
		return errors.New("the sign-in cookie was not sealed by this deployment")
	}
	return json.Unmarshal(plain, v)
}

func newAEAD(key [32]byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
