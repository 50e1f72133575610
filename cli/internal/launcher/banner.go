package launcher

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chuishao/whistle/cli/devoidc"
	"github.com/chuishao/whistle/platform/auth"
)

// DemoLogin is a ready-made identity printed at start.
type DemoLogin struct {
	Label string
	Env   string // shell variable name in tokens.env
	ID    auth.Identity
}

// DemoLogins are one identity per role around 东华门街道 (Dongcheng).
var DemoLogins = []DemoLogin{
	{Label: "street      东华门街道 110101001", Env: "STREET_TOKEN",
		ID: auth.Identity{Subject: "demo-street-110101001", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}},
	{Label: "desk        公安 police @ 东城区 110101", Env: "DESK_POLICE_TOKEN",
		ID: auth.Identity{Subject: "demo-desk-police-110101", Role: auth.RoleDesk, DistrictID: "110101", Department: "police"}},
	{Label: "desk        城管 urban-management @ 东城区 110101", Env: "DESK_URBAN_MANAGEMENT_TOKEN",
		ID: auth.Identity{Subject: "demo-desk-urban-management-110101", Role: auth.RoleDesk, DistrictID: "110101", Department: "urban-management"}},
	{Label: "supervisor  东城区 110101", Env: "SUPERVISOR_TOKEN",
		ID: auth.Identity{Subject: "demo-supervisor-110101", Role: auth.RoleSupervisor, DistrictID: "110101"}},
	{Label: "admin", Env: "ADMIN_TOKEN",
		ID: auth.Identity{Subject: "demo-admin", Role: auth.RoleAdmin}},
}

func printBanner(sup *Supervisor, cfg Config, plan Plan, key ed25519.PrivateKey) error {
	clk, scale, err := plan.Clock()
	if err != nil {
		return err
	}
	signer := auth.NewSigner(key)
	// On a drill clock a token must outlive TokenTTL of scaled time.
	ttl := time.Duration(float64(TokenTTL) * max(scale, 1))
	tokens := make([]string, len(DemoLogins))
	envFile := []string{"# Dev tokens of the last `make run`; load with: . .run/tokens.env",
		"export WHISTLE_URL=" + plan.APIURL}
	for i, l := range DemoLogins {
		tok, err := signer.Sign(l.ID, clk.Now(), ttl)
		if err != nil {
			return fmt.Errorf("sign %s token: %w", l.ID.Role, err)
		}
		tokens[i] = tok
		envFile = append(envFile, "export "+l.Env+"="+tok)
	}
	envPath := filepath.Join(cfg.RunDir, "tokens.env")
	if err := os.WriteFile(envPath, []byte(strings.Join(envFile, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", envPath, err)
	}

	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("")
	line("==================================================================")
	line(" Whistle is running.")
	line("")
	line("   Console    %s/   (web console: sign in at the dev identity provider, or dev sign-in)", plan.APIURL)
	if cfg.OIDC.Issuer != "" {
		line("   Sign-in    %s (demo people: donghuamen, police-desk, supervisor, admin, newcomer; password %s)", cfg.OIDC.Issuer, devoidc.DemoPassword)
	}
	line("   API        %s", plan.APIURL)
	line("   OpenAPI    %s/openapi.json", plan.APIURL)
	line("   Live       %s/v1/stream (Server-Sent Events, bearer token)", plan.APIURL)
	line("   Open311    %s/open311/v2/services.json (api_key %s → street %s)", plan.APIURL, DemoOpen311Key, DemoOpen311Street)
	line("   Ops        http://%s/metrics (gateway; backends: %s)", cfg.GatewayOpsAddr, opsAddrs(cfg.Backends))
	line("   NATS       %s", plan.NATSURL)
	if len(cfg.NATSUsers) > 0 {
		line("              one user per service, each limited to its own subjects (new passwords every run);")
		line("              the unrestricted admin user for tools is in %s", filepath.Join(cfg.RunDir, natsAdminFile))
	}
	line("   Postgres   %s", redactURL(cfg.DatabaseURL))
	if plan.TimeScale != "" {
		line("   Clock      %s× from %s", plan.TimeScale, plan.TimeOrigin)
	}
	line("")
	line(" Dev tokens (valid %d days; also in %s):", int(TokenTTL.Hours()/24), envPath)
	for i, l := range DemoLogins {
		line("")
		line("   %s  ($%s)", l.Label, l.Env)
		line("   %s", tokens[i])
	}
	line("")
	line(" Try it:")
	line("   . %s", envPath)
	line(`   curl -sS -X POST %s/v1/whistles \`, plan.APIURL)
	line(`     -H "Authorization: Bearer $STREET_TOKEN" -H "Idempotency-Key: demo-$(date +%%s)" \`)
	line(`     -H 'Content-Type: application/json' \`)
	line(`     -d '{"street_id":"110101001","category":"joint-enforcement","description":"占道经营，堵塞消防通道","location":{"lat":39.9125,"lng":116.4015}}'`)
	line("   %s --token \"$DESK_POLICE_TOKEN\" queue", filepath.Join(cfg.BinDir, "whistlectl"))
	line("")
	if cfg.ExitOnCrash {
		line(" A service that dies stops everything (exit on crash). Ctrl-C stops everything.")
	} else {
		line(" A service that dies is restarted (after 1 s, doubling while it keeps dying). Ctrl-C stops everything.")
	}
	line("==================================================================")
	_, err = io.WriteString(sup, b.String())
	return err
}

// opsAddrs lists the backends' ops addresses for the banner.
func opsAddrs(backends []Backend) string {
	addrs := make([]string, len(backends))
	for i, b := range backends {
		addrs[i] = b.Name + " " + b.OpsAddr
	}
	return strings.Join(addrs, ", ")
}
