package app

import (
	"net/http"

	"github.com/chuishao/whistle/services/gateway/internal/boundaryfile"
	"github.com/chuishao/whistle/services/gateway/internal/console"
	"github.com/chuishao/whistle/services/gateway/internal/devtoken"
	"github.com/chuishao/whistle/services/gateway/internal/download"
	"github.com/chuishao/whistle/services/gateway/internal/evidence"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
	"github.com/chuishao/whistle/services/gateway/internal/open311"
	"github.com/chuishao/whistle/services/gateway/internal/publicpages"
	"github.com/chuishao/whistle/services/gateway/internal/routes"
	"github.com/chuishao/whistle/services/gateway/internal/servertime"
	"github.com/chuishao/whistle/services/gateway/internal/signin"
	"github.com/chuishao/whistle/services/gateway/internal/stream"
	"github.com/chuishao/whistle/services/gateway/internal/ticketcsv"
)

// edge holds the handlers of the gateway's own routes, built by New from
// the configuration; a nil one belongs to a feature that is off.
type edge struct {
	openAPI, version, serverTime, publicPages http.Handler
	// console is the web console (nil: none).
	console http.Handler
	// devToken and jwks are on with dev auth or OIDC sign-in.
	devToken, jwks http.Handler
	open311        *open311.Handler
	downloads      *download.Handler
	tickets        http.Handler
	boundaries     http.Handler
	evidence       *evidence.Routes
	// stream, signIn and grants need NATS (signIn and grants also OIDC).
	stream http.Handler
	signIn *signin.Handler
	grants *grants.API
}

// table is every hand-written route of the gateway, each once: its method
// and path, who may call it, what the gateway bounds before its handler
// runs. Every other request is the REST API generated from the protos
// (proto/http.yaml). Around all of them: the rate limits, then the OIDC
// sign-in's middleware, which turns a session cookie or a provider token
// into an internal token (see New). docs/architecture.md lists this table.
func (e *edge) table() []routes.Route {
	var (
		std, own, long = routes.Standard, routes.OwnBody, routes.LongLived
		public, token  = routes.Public, routes.Token
		noOpen311      = e.open311 == nil
		noSignIn       = e.signIn == nil
		ev             = e.evidence
		dl             = e.downloads
		o              = e.open311
		fn             = func(f http.HandlerFunc) http.Handler { return f }
	)
	return []routes.Route{
		// The edge's own answers.
		{Pattern: "GET " + OpenAPIPath, Handler: e.openAPI, Access: public, Limits: std, Note: "the OpenAPI document of this build"},
		{Pattern: "GET " + VersionPath, Handler: e.version, Access: public, Limits: std, Note: "the build the gateway runs"},
		{Pattern: "GET " + servertime.Path, Handler: e.serverTime, Access: public, Limits: std, Note: "the services' clock and its scale (drills)"},
		{Pattern: devtoken.Path, Handler: e.devToken, Access: routes.DevAuth, Limits: std, Off: e.devToken == nil,
			Note: "POST: a signed token for any identity (WHISTLE_DEV_AUTH)"},
		{Pattern: "GET " + JWKSPath, Handler: e.jwks, Access: public, Limits: std, Off: e.jwks == nil,
			Note: "the dev and sign-in signers' public keys"},

		// Pages.
		{Pattern: "GET " + publicpages.Prefix, Handler: e.publicPages, Access: public, Limits: std, Note: "residents' and the public's pages"},
		{Pattern: "GET /{$}", Handler: e.console, Access: public, Limits: std, Off: e.console == nil, Note: "the console's page"},
		{Pattern: "GET " + console.Prefix, Handler: e.console, Access: public, Limits: std, Off: e.console == nil, Note: "the console's assets"},

		// Open311 GeoReport v2 (WHISTLE_OPEN311_SIGNING_KEY).
		{Pattern: open311.ListPattern, Handler: fn(o.List), Access: public, Limits: std, Off: noOpen311, Note: "services.json, requests.json"},
		{Pattern: open311.PostPattern, Handler: fn(o.Post), Access: routes.APIKey, Limits: std, Off: noOpen311, Note: "requests.json raises a whistle"},
		{Pattern: open311.ServicePattern, Handler: fn(o.Service), Access: public, Limits: std, Off: noOpen311, Note: "a service's definition"},
		{Pattern: open311.RequestPattern, Handler: fn(o.Request), Access: public, Limits: std, Off: noOpen311, Note: "a service request"},
		{Pattern: open311.TokenPattern, Handler: fn(o.Token), Access: public, Limits: std, Off: noOpen311, Note: "a follow-up token's request"},
		{Pattern: open311.MediaPattern, Handler: fn(o.Thumbnail), Access: public, Limits: std, Off: noOpen311, Note: "a photo's thumbnail"},
		{Pattern: open311.Prefix, Handler: fn(o.NotFound), Access: public, Limits: std, Off: noOpen311, Note: "anything else: the spec's error list"},

		// Documents as files, from the same RPCs as their JSON routes.
		{Pattern: "GET " + download.SlaCSVPath, Handler: fn(dl.SlaCSV), Access: token, Limits: std, Note: "SLA report, CSV"},
		{Pattern: "GET " + download.MonthlyHTMLPath, Handler: fn(dl.Monthly), Access: token, Limits: std, Note: "治理成绩单, printable page"},
		{Pattern: "GET " + download.ScorecardPDFPath, Handler: fn(dl.ScorecardPDF), Access: token, Limits: std, Note: "治理成绩单, PDF"},
		{Pattern: "GET " + download.RegisterXLSXPath, Handler: fn(dl.RegisterXLSX), Access: token, Limits: std, Note: "whistle register (台账), .xlsx"},
		{Pattern: "GET " + download.RegisterCSVPath, Handler: fn(dl.RegisterCSV), Access: token, Limits: std, Note: "whistle register (台账), CSV"},
		{Pattern: "GET " + download.ReturnsCSVPath, Handler: fn(dl.ReturnsCSV), Access: token, Limits: std, Note: "12345 return file, CSV"},
		{Pattern: "GET " + download.ReturnsXLSXPath, Handler: fn(dl.ReturnsXLSX), Access: token, Limits: std, Note: "12345 return file, .xlsx"},
		{Pattern: "GET " + download.OrderPDFPath, Handler: fn(dl.OrderPDF), Access: token, Limits: std, Note: "派单单, PDF"},
		{Pattern: "GET " + download.NoticePDFPath, Handler: fn(dl.NoticePDF), Access: token, Limits: std, Note: "督办通知书, PDF"},

		// Files larger than the JSON limit; a JSON body goes to the REST route of the same path.
		{Pattern: "POST " + ticketcsv.Path, Media: ticketcsv.MediaTypes, Handler: e.tickets, Access: token, Limits: own, MaxBody: ticketcsv.MaxBytes,
			Note: "a 12345 export, CSV or .xlsx"},
		{Pattern: "POST " + boundaryfile.Path, Media: []string{boundaryfile.MediaType}, Handler: e.boundaries, Access: token, Limits: own,
			MaxBody: boundaryfile.MaxBytes, Note: "a GeoJSON boundary file"},

		// Attachments: uploads larger than the JSON limit, objects streamed.
		{Pattern: evidence.UploadPath, Handler: ev.Upload(evidence.OnWhistle), Access: token, Limits: own, MaxBody: evidence.MaxBytes, Note: "a whistle's evidence"},
		{Pattern: evidence.ContentPath, Handler: ev.Content(evidence.OnWhistle), Access: token, Limits: own, Note: "its file"},
		{Pattern: evidence.ThumbnailPath, Handler: ev.Thumbnail(evidence.OnWhistle), Access: token, Limits: own, Note: "its thumbnail"},
		{Pattern: evidence.ReportUploadPath, Handler: ev.Upload(evidence.OnReport), Access: token, Limits: own, MaxBody: evidence.MaxBytes, Note: "a report's photo"},
		{Pattern: evidence.ReportContentPath, Handler: ev.Content(evidence.OnReport), Access: token, Limits: own, Note: "its file"},
		{Pattern: evidence.ReportThumbnailPath, Handler: ev.Thumbnail(evidence.OnReport), Access: token, Limits: own, Note: "its thumbnail"},

		// The live event stream (NATS_URL).
		{Pattern: stream.Path, Handler: e.stream, Access: routes.GatewayToken, Limits: long, Off: e.stream == nil,
			Note: "GET: server-sent events in the caller's scope"},

		// OIDC sign-in (WHISTLE_OIDC_ISSUER) and the grants it reads.
		{Pattern: "GET " + signin.LoginPath, Handler: fn(e.signIn.Login), Access: public, Limits: std, Off: noSignIn, Note: "to the provider"},
		{Pattern: "GET " + signin.CallbackPath, Handler: fn(e.signIn.Callback), Access: public, Limits: std, Off: noSignIn, Note: "back from the provider"},
		{Pattern: "POST " + signin.LogoutPath, Handler: fn(e.signIn.Logout), Access: routes.Session, Limits: std, Off: noSignIn, Note: "ends the session"},
		{Pattern: "GET " + signin.SessionPath, Handler: fn(e.signIn.Session), Access: routes.Session, Limits: std, Off: noSignIn, Note: "who is signed in"},
		{Pattern: "GET " + signin.CLIPath, Handler: fn(e.signIn.CLI), Access: public, Limits: std, Off: noSignIn, Note: "whistlectl's provider and client"},
		{Pattern: grants.ListPattern, Handler: fn(e.grants.List), Access: routes.Admin, Limits: std, Off: noSignIn, Note: "every grant"},
		{Pattern: grants.GrantPattern, Handler: fn(e.grants.Grant), Access: routes.Admin, Limits: std, Off: noSignIn, Note: "grants a role"},
		{Pattern: grants.RevokePattern, Handler: fn(e.grants.Revoke), Access: routes.Admin, Limits: std, Off: noSignIn, Note: "revokes it"},
	}
}
