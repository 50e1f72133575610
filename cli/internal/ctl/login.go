package ctl

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// credentials are what `whistlectl login` keeps: the provider's tokens for
// one gateway, in credentials.json beside the config file, readable by the
// user alone (0600).
type credentials struct {
	URL          string    `json:"url"`
	Issuer       string    `json:"issuer"`
	ClientID     string    `json:"client_id"`
	Scopes       []string  `json:"scopes"`
	IDToken      string    `json:"id_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry"`
}

// cliConfig is the gateway's GET /auth/cli.
type cliConfig struct {
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// credentialsPath is credentials.json in the config file's directory.
func credentialsPath(getenv func(string) string) string {
	p, _ := configPath(getenv)
	if p == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(p), "credentials.json")
}

func loadCredentials(path string) (credentials, error) {
	var c credentials
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w (run `whistlectl login` again)", path, err)
	}
	return c, nil
}

func saveCredentials(path string, c credentials) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	// Written to a new file and renamed, so it is never readable by others even for a moment.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // WriteFile keeps the mode of a file that existed
		return err
	}
	return os.Rename(tmp, path)
}

// signedInToken is the ID token of `whistlectl login` for the gateway at
// url, refreshed at the provider when it has expired; "" when there is none.
func (e *env) signedInToken(ctx context.Context) (string, error) {
	path := credentialsPath(e.getenv)
	if path == "" {
		return "", nil
	}
	c, err := loadCredentials(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && c.URL != e.url) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if time.Until(c.Expiry) > 30*time.Second {
		return c.IDToken, nil
	}
	if c.RefreshToken == "" {
		return "", errors.New("the sign-in has expired: run `whistlectl login` again")
	}
	ctx = oidc.ClientContext(ctx, e.http)
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return "", fmt.Errorf("reach the identity provider: %w", err)
	}
	conf := &oauth2.Config{ClientID: c.ClientID, Endpoint: p.Endpoint(), Scopes: c.Scopes}
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: c.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return "", fmt.Errorf("the sign-in has ended (%v): run `whistlectl login` again", err)
	}
	if err := c.update(ctx, p, tok, ""); err != nil {
		return "", err
	}
	if err := saveCredentials(path, c); err != nil {
		return "", err
	}
	return c.IDToken, nil
}

// update takes the ID token of tok (verified, with nonce when not empty).
func (c *credentials) update(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, nonce string) error {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return errors.New("the identity provider sent no ID token")
	}
	id, err := p.Verifier(&oidc.Config{ClientID: c.ClientID}).Verify(ctx, raw)
	if err != nil {
		return fmt.Errorf("verify the ID token: %w", err)
	}
	if nonce != "" && id.Nonce != nonce {
		return errors.New("the ID token is not for this sign-in")
	}
	c.IDToken, c.Expiry = raw, id.Expiry
	if tok.RefreshToken != "" {
		c.RefreshToken = tok.RefreshToken
	}
	return nil
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func loginCmd(e *env) *cobra.Command {
	var noBrowser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in at the deployment's identity provider (a browser page) and keep the sign-in for later commands",
		Long: "login asks the gateway which identity provider it trusts, opens the provider's sign-in page in a browser\n" +
			"(authorization code with PKCE, answered on a loopback address), and keeps the tokens in credentials.json\n" +
			"beside the config file, readable by you alone. Later commands use them when no --token or WHISTLE_TOKEN\n" +
			"is given, and renew them at the provider when they expire.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return e.login(ctx, noBrowser)
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the sign-in address instead of opening a browser")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the sign-in")
	return cmd
}

func (e *env) login(ctx context.Context, noBrowser bool) error {
	var cc cliConfig
	if err := e.client().CLIConfig(ctx, &cc); err != nil {
		return fmt.Errorf("ask the gateway how to sign in: %w", err)
	}
	octx := oidc.ClientContext(ctx, e.http)
	p, err := oidc.NewProvider(octx, cc.Issuer)
	if err != nil {
		return fmt.Errorf("reach the identity provider %s: %w", cc.Issuer, err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the sign-in's answer: %w", err)
	}
	defer func() { _ = lis.Close() }()
	conf := &oauth2.Config{ClientID: cc.ClientID, Endpoint: p.Endpoint(), Scopes: cc.Scopes,
		RedirectURL: "http://" + lis.Addr().String() + "/callback"}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))

	type answer struct {
		code string
		err  error
	}
	answers := make(chan answer, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var a answer
		switch {
		case q.Get("state") != state:
			a.err = errors.New("the sign-in's answer does not match this login")
		case q.Get("error") != "":
			a.err = fmt.Errorf("the identity provider refused: %s %s", q.Get("error"), q.Get("error_description"))
		default:
			a.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if a.err != nil {
			_, _ = fmt.Fprint(w, "<!doctype html><meta charset=utf-8><p>登录失败 / Sign-in failed. 请回到终端 / See the terminal.</p>")
		} else {
			_, _ = fmt.Fprint(w, "<!doctype html><meta charset=utf-8><p>已登录，可以关闭此页 / Signed in: you may close this page.</p>")
		}
		select {
		case answers <- a:
		default:
		}
	})}
	go func() { _ = srv.Serve(lis) }()
	defer func() { _ = srv.Close() }()

	fmt.Fprintf(e.out, "Sign in in your browser; if it does not open, visit:\n\n  %s\n\n", authURL)
	if !noBrowser {
		_ = openBrowser(authURL) // the printed address is the fallback
	}
	var a answer
	select {
	case <-ctx.Done():
		return errors.New("no sign-in arrived in time: run `whistlectl login` again")
	case a = <-answers:
	}
	if a.err != nil {
		return a.err
	}
	tok, err := conf.Exchange(octx, a.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("exchange the sign-in code: %w", err)
	}
	c := credentials{URL: e.url, Issuer: cc.Issuer, ClientID: cc.ClientID, Scopes: cc.Scopes}
	if err := c.update(octx, p, tok, nonce); err != nil {
		return err
	}
	path := credentialsPath(e.getenv)
	if path == "" {
		return errors.New("no config directory: set HOME, XDG_CONFIG_HOME or WHISTLE_CONFIG")
	}
	if err := saveCredentials(path, c); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.out, "Signed in; the sign-in is kept in %s.\n", path)
	return err
}

func logoutCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the sign-in of `whistlectl login`",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path := credentialsPath(e.getenv)
			if path == "" {
				return nil
			}
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			_, err := fmt.Fprintln(e.out, "Signed out.")
			return err
		},
	}
}

// openBrowser asks the desktop to open url.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}
