package launcher

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"

	"github.com/chuishao/whistle/cli/devoidc"
	"github.com/chuishao/whistle/platform/auth"
)

// DefaultOIDCPort is the dev identity provider's port; a free one when taken.
const DefaultOIDCPort = 4334

// Client ids of the dev identity provider.
const (
	DevConsoleClient = "whistle-console"
	DevCLIClient     = "whistlectl"
)

// DevOIDC is the dev identity provider `make run` started for the gateway.
type DevOIDC struct {
	Issuer        string
	ConsoleSecret string
}

// apiURL is how the launcher and a browser reach the gateway at addr.
func apiURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("WHISTLE_HTTP_ADDR %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1" // listening on all interfaces; talk to it over loopback
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// startDevOIDC starts the dev identity provider with the demo people, and
// the gateway's two clients (the console's, with a secret, and
// whistlectl's public one).
func startDevOIDC(cfg Config, key ed25519.PrivateKey) (*devoidc.Provider, DevOIDC, error) {
	api, err := apiURL(cfg.HTTPAddr)
	if err != nil {
		return nil, DevOIDC{}, err
	}
	secret := auth.EncodeKey(DerivedKey(key, "oidc-client").Seed())
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.OIDCPort))
	if lis, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0"
	} else {
		_ = lis.Close()
	}
	p, err := devoidc.Start(devoidc.Config{
		Addr: addr, People: devoidc.DemoPeople(), Log: slog.New(slog.DiscardHandler),
		Clients: []devoidc.Client{
			{ID: DevConsoleClient, Secret: secret, RedirectURIs: []string{api + "/auth/callback"}, PostLogoutRedirectURIs: []string{api + "/"}},
			{ID: DevCLIClient, RedirectURIs: []string{"http://127.0.0.1/callback"}},
		},
	})
	if err != nil {
		return nil, DevOIDC{}, err
	}
	return p, DevOIDC{Issuer: p.Issuer(), ConsoleSecret: secret}, nil
}

// oidcEnv is the gateway's sign-in settings for the dev provider: the demo
// people's roles come from their claims; the newcomer's from a grant.
func oidcEnv(o DevOIDC, api string, key ed25519.PrivateKey) []string {
	if o.Issuer == "" {
		return nil
	}
	callback, _ := url.JoinPath(api, "/auth/callback")
	return []string{
		"WHISTLE_OIDC_ISSUER=" + o.Issuer,
		"WHISTLE_OIDC_CLIENT_ID=" + DevConsoleClient,
		"WHISTLE_OIDC_CLIENT_SECRET=" + o.ConsoleSecret,
		"WHISTLE_OIDC_REDIRECT_URL=" + callback,
		"WHISTLE_OIDC_CLI_CLIENT_ID=" + DevCLIClient,
		"WHISTLE_OIDC_CLAIM_ROLE=" + devoidc.ClaimRole,
		"WHISTLE_OIDC_CLAIM_STREET=" + devoidc.ClaimStreet,
		"WHISTLE_OIDC_CLAIM_DISTRICT=" + devoidc.ClaimDistrict,
		"WHISTLE_OIDC_CLAIM_DEPARTMENT=" + devoidc.ClaimDepartment,
		"WHISTLE_OIDC_CLAIM_GRID=" + devoidc.ClaimGrid,
		"WHISTLE_OIDC_SIGNING_KEY=" + auth.EncodeKey(DerivedKey(key, "oidc-session").Seed()),
	}
}
