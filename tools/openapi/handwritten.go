package main

import (
	"fmt"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// The gateway's own routes (services/gateway/app and internal/*), which the
// protos do not describe.

// Media types of the file routes.
const (
	mediaCSV     = "text/csv"
	mediaXLSX    = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mediaGeoJSON = "application/geo+json"
	mediaSSE     = "text/event-stream"
	mediaHTML    = "text/html"
)

func typ(t string) *openapi3.Types { return &openapi3.Types{t} }

func str(desc string) *openapi3.SchemaRef {
	return openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("string"), Description: desc})
}

func object(desc string, required []string, props map[string]*openapi3.SchemaRef) *openapi3.SchemaRef {
	return openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("object"), Description: desc, Required: required, Properties: props})
}

// binary is a file body or download of the given media type.
func binary(media, desc string, example any) openapi3.Content {
	return openapi3.Content{media: &openapi3.MediaType{
		Schema:  openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("string"), ContentMediaType: media, Description: desc}),
		Example: example,
	}}
}

func jsonContent(s *openapi3.SchemaRef) openapi3.Content {
	return openapi3.NewContentWithJSONSchemaRef(s)
}

func ok(desc string, content openapi3.Content) *openapi3.Responses {
	return openapi3.NewResponses(openapi3.WithStatus(200, &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc, Content: content}}))
}

func queryParam(name, desc string) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: openapi3.NewQueryParameter(name).WithSchema(&openapi3.Schema{Type: typ("string")}).WithDescription(desc)}
}

func pathParam(name, desc string) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: openapi3.NewPathParameter(name).WithSchema(&openapi3.Schema{Type: typ("string")}).WithDescription(desc)}
}

// addHandWritten adds the gateway's own operations and the file forms of
// generated ones.
func addHandWritten(doc *openapi3.T) error {
	if err := addFileForms(doc); err != nil {
		return err
	}
	add := func(method, path string, op *openapi3.Operation) {
		doc.AddOperation(path, method, op)
	}
	add("GET", "/v1/reports/sla.csv", download(doc, "GET", "/v1/reports/sla:csv", "Edge_DownloadSlaCsv", mediaCSV,
		"时限报表 CSV 文件下载。The SLA report as a CSV file download (UTF-8 with a byte order mark), same query as GET /v1/reports/sla:csv.",
		"\ufeffdepartment,dispatched,acked_on_time\r\npolice,12,11\r\n"))
	add("GET", "/v1/reports/monthly.html", download(doc, "GET", "/v1/reports/monthly", "Edge_DownloadMonthlyScorecard", mediaHTML,
		"可打印的月度治理成绩单。The monthly scorecard (治理成绩单) as a printable HTML page, same query as GET /v1/reports/monthly.",
		"<!doctype html><html lang=\"zh-CN\"><title>2026-11 治理成绩单</title>...</html>"))
	for _, f := range []struct{ path, id, media, what string }{
		{"/v1/registers/whistles.xlsx", "Edge_DownloadWhistleRegisterXlsx", mediaXLSX, "an .xlsx workbook (sheet 台账)"},
		{"/v1/registers/whistles.csv", "Edge_DownloadWhistleRegisterCsv", mediaCSV, "a CSV file (UTF-8 with a byte order mark)"},
	} {
		op := download(doc, "GET", "/v1/search/whistles", f.id, f.media,
			"哨单台账下载。The whistle register (台账) of a search as "+f.what+": every matching whistle in the caller's scope, one row each, "+
				"Chinese headers (编号, 街道, 类别, 状态, 发起时间, 到场时间, 办结时间, 满意度 …), names rather than codes; same filters as "+
				"GET /v1/search/whistles, at most 50,000 rows (more is INVALID_ARGUMENT).", nil)
		op.Parameters = slices.DeleteFunc(slices.Clone(op.Parameters), func(p *openapi3.ParameterRef) bool {
			return p.Value != nil && (p.Value.Name == "page_size" || p.Value.Name == "page_token")
		})
		add("GET", f.path, op)
	}
	for _, f := range []struct{ path, id, media, what string }{
		{"/v1/districts/{district_id}/ticket-returns.xlsx", "Edge_DownloadTicketReturnsXlsx", mediaXLSX, "an .xlsx workbook (sheet 回复)"},
		{"/v1/districts/{district_id}/ticket-returns.csv", "Edge_DownloadTicketReturnsCsv", mediaCSV, "a CSV file (UTF-8 with a byte order mark)"},
	} {
		op := download(doc, "GET", "/v1/districts/{district_id}/ticket-returns", f.id, f.media,
			"12345 工单回复文件。A district's 12345 tickets closed or followed up in the period, as "+f.what+
				" in the hotline's return format (columns 工单编号, 办理状态, 办理结果, 办结时间, 是否超期, 回访满意度, 是否解决, 回访意见 … "+
				"as docs/hotline.md maps them); same parameters as GET /v1/districts/{district_id}/ticket-returns, at most 50,000 rows. "+
				"Supervisors of the district and city supervisors only.", nil)
		op.Parameters = slices.DeleteFunc(slices.Clone(op.Parameters), func(p *openapi3.ParameterRef) bool {
			return p.Value != nil && (p.Value.Name == "page_size" || p.Value.Name == "page_token")
		})
		add("GET", f.path, op)
	}
	add("GET", "/v1/stream", &openapi3.Operation{
		OperationID: "Edge_Stream", Tags: []string{"Edge"},
		Summary: "实时事件流（Server-Sent Events）。The live event stream of the caller's whistles and dispatches.",
		Description: "Each event has an id (its stream sequence), an event name (e.g. whistle.raised, dispatch.acknowledged) and a JSON data line. " +
			"A client resumes after a dropped connection with Last-Event-ID (or last_event_id). A browser's EventSource cannot set headers, " +
			"so the token may come as access_token in the query instead of Authorization.",
		Parameters: openapi3.Parameters{
			queryParam("access_token", "The bearer token, for clients that cannot set the Authorization header."),
			queryParam("last_event_id", "Resume after this event id (as the Last-Event-ID header)."),
			&openapi3.ParameterRef{Value: openapi3.NewHeaderParameter("Last-Event-ID").WithSchema(&openapi3.Schema{Type: typ("string")}).WithDescription("Resume after this event id.")},
		},
		Responses: ok("The event stream; it stays open until the client leaves or the gateway shuts down.",
			binary(mediaSSE, "Server-Sent Events.", "id: 42\nevent: dispatch.acknowledged\ndata: {\"whistle_id\":\"0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f\",\"department\":\"police\"}\n\n")),
	})
	token := object("", []string{"token"}, map[string]*openapi3.SchemaRef{"token": str("A signed JWT for the Authorization header.")})
	identity := map[string]*openapi3.SchemaRef{
		"role":        str("street, grid, desk, supervisor or admin."),
		"street_id":   str("Nine-digit township code (roles street and grid)."),
		"district_id": str("Six-digit district code; derived from street_id when omitted."),
		"department":  str("Department code (role desk)."),
		"grid_id":     str("The micro-grid (role grid)."),
	}
	devReq := object("", []string{"role"}, withProp(identity, "subject", str("Defaults to dev-<role>-<scope>.")))
	add("POST", "/v1/dev/tokens", &openapi3.Operation{
		OperationID: "Edge_IssueDevToken", Tags: []string{"Edge"}, Security: public(),
		Summary:     "开发环境令牌（仅 WHISTLE_DEV_AUTH=1 时存在）。A token for any identity, only when dev auth is on; never in production.",
		RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(jsonContent(devReq))},
		Responses:   ok("The token.", jsonContent(token)),
	})
	versionSchema := object("", []string{"version", "commit", "date", "go_version"}, map[string]*openapi3.SchemaRef{
		"version": str("git describe of the build; dev when not stamped."), "commit": str("The full commit hash."),
		"date": str("When the commit was made (RFC 3339, UTC)."), "go_version": str("The Go toolchain."),
	})
	add("GET", "/v1/version", &openapi3.Operation{
		OperationID: "Edge_GetVersion", Tags: []string{"Edge"}, Security: public(),
		Summary:   "网关的版本。The build the gateway runs.",
		Responses: ok("The build.", jsonContent(versionSchema)),
	})
	add("GET", "/v1/time", &openapi3.Operation{
		OperationID: "Edge_GetTime", Tags: []string{"Edge"}, Security: public(),
		Summary: "服务器时间（演练时按倍速）。The server's clock, scaled in a drill.",
		Responses: ok("The time.", jsonContent(object("", []string{"now", "scale"}, map[string]*openapi3.SchemaRef{
			"now":   openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("string"), Format: "date-time"}),
			"scale": openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("number"), Description: "How many times faster than real time the clock runs (1 outside drills)."}),
		}))),
	})
	add("GET", "/.well-known/jwks.json", &openapi3.Operation{
		OperationID: "Edge_GetJWKS", Tags: []string{"Edge"}, Security: public(),
		Summary:   "签名公钥（JWK Set）。The public keys of the gateway's signers (sign-in and dev tokens), when either is on.",
		Responses: ok("A JWK Set (RFC 7517).", jsonContent(object("", []string{"keys"}, map[string]*openapi3.SchemaRef{"keys": openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(&openapi3.Schema{Type: typ("object")}))}))),
	})
	add("GET", "/openapi.json", &openapi3.Operation{
		OperationID: "Edge_GetOpenAPI", Tags: []string{"Edge"}, Security: public(),
		Summary:   "本文档。This document, with info.version set to the gateway's build.",
		Responses: ok("The OpenAPI document.", jsonContent(object("", nil, map[string]*openapi3.SchemaRef{}))),
	})
	addGrants(add, identity)
	addSignIn(add)
	addOpen311(add)
	addEvidence(add)
	addForms(add)
	return nil
}

func withProp(m map[string]*openapi3.SchemaRef, name string, s *openapi3.SchemaRef) map[string]*openapi3.SchemaRef {
	out := map[string]*openapi3.SchemaRef{name: s}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// download is the file form of the generated GET at jsonPath: its query, the file as the answer.
func download(doc *openapi3.T, method, jsonPath, id, media, summary string, example any) *openapi3.Operation {
	op := &openapi3.Operation{OperationID: id, Tags: []string{"Edge"}, Summary: summary,
		Responses: ok("The file.", binary(media, "", example))}
	if g := doc.Paths.Find(jsonPath); g != nil && g.GetOperation(method) != nil {
		op.Parameters = g.GetOperation(method).Parameters
	}
	return op
}

// addFileForms documents the file bodies the gateway accepts beside the
// generated JSON forms of POST /v1/tickets:importCsv and /v1/boundaries:import.
func addFileForms(doc *openapi3.T) error {
	for _, f := range []struct {
		path  string
		forms openapi3.Content
		query openapi3.Parameters
	}{
		{"/v1/tickets:importCsv", mergeContent(
			binary(mediaCSV, "A 12345 hotline export as CSV in UTF-8, UTF-8 with a byte order mark or GB18030/GBK (detected), up to 3 MiB.",
				"工单编号,标题,内容,地址,分类,来电时间\r\nGD20261207001,占道经营,东华门大街路口早市占道,东城区东华门大街12号,street-vending,2026-12-07 08:15\r\n"),
			binary(mediaXLSX, "The same export as an .xlsx workbook (its first sheet), up to 3 MiB.", nil)), nil},
		{"/v1/boundaries:import", binary(mediaGeoJSON, "A GeoJSON FeatureCollection (RFC 7946), up to 3 MiB; the request's other fields come in the query.",
			`{"type":"FeatureCollection","features":[]}`), openapi3.Parameters{
			queryParam("level", "district, street, community or grid."), queryParam("coord_sys", "WGS84, GCJ02 or BD09."),
			queryParam("code_property", "The feature property holding the code."), queryParam("name_property", "The feature property holding the name."),
			queryParam("parent_property", "The feature property holding the parent's code."), queryParam("replace", "true or 1 to replace the level's units."),
			queryParam("description", "What the import is."), queryParam("publish", "true or 1 to publish at once."),
		}},
	} {
		op := doc.Paths.Find(f.path).GetOperation("POST")
		if op == nil || op.RequestBody == nil {
			return fmt.Errorf("POST %s is not generated", f.path)
		}
		for media, mt := range f.forms {
			op.RequestBody.Value.Content[media] = mt
		}
		op.Parameters = append(op.Parameters, f.query...)
		op.Description = "Besides the JSON form, the file itself may be the body (curl --data-binary), which the gateway converts: " +
			"its size limit is the file route's, not the JSON API's 1 MiB."
	}
	return nil
}

func mergeContent(cs ...openapi3.Content) openapi3.Content {
	out := openapi3.Content{}
	for _, c := range cs {
		for k, v := range c {
			out[k] = v
		}
	}
	return out
}

func addGrants(add func(string, string, *openapi3.Operation), identity map[string]*openapi3.SchemaRef) {
	grant := object("A person's role and scope.", []string{"issuer", "subject", "by", "at"}, withProp(withProp(withProp(withProp(withProp(identity,
		"issuer", str("The identity provider.")), "subject", str("The person's subject at the provider.")), "name", str("")),
		"revoked", openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("boolean")})), "by", str("Who granted it.")))
	grant.Value.Properties["at"] = openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("string"), Format: "date-time"})
	list := object("", []string{"issuer", "grants"}, map[string]*openapi3.SchemaRef{
		"issuer": str(""), "grants": openapi3.NewSchemaRef("", &openapi3.Schema{Type: typ("array"), Items: grant}),
	})
	req := object("", []string{"role"}, withProp(identity, "name", str("The person's display name.")))
	subject := openapi3.Parameters{pathParam("subject", "The person's subject at the identity provider.")}
	add("GET", "/v1/admin/grants", &openapi3.Operation{OperationID: "Edge_ListGrants", Tags: []string{"SignIn"},
		Summary: "登录人员的授权（管理员）。The roles granted to signed-in people (admins; with sign-in on).", Responses: ok("The grants.", jsonContent(list))})
	add("PUT", "/v1/admin/grants/{subject}", &openapi3.Operation{OperationID: "Edge_Grant", Tags: []string{"SignIn"}, Parameters: subject,
		Summary:     "授予角色。Grant a person a role and scope (admins).",
		RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(jsonContent(req))},
		Responses:   ok("The grant.", jsonContent(grant))})
	add("DELETE", "/v1/admin/grants/{subject}", &openapi3.Operation{OperationID: "Edge_RevokeGrant", Tags: []string{"SignIn"}, Parameters: subject,
		Summary: "撤销授权。Revoke a person's grant (admins); their tokens stop at once.", Responses: ok("The revoked grant.", jsonContent(grant))})
}

func addSignIn(add func(string, string, *openapi3.Operation)) {
	redirect := func(id, path, summary string) {
		desc := "A redirect (to the identity provider, or back to the console)."
		add("GET", path, &openapi3.Operation{OperationID: id, Tags: []string{"SignIn"}, Security: public(), Summary: summary,
			Responses: openapi3.NewResponses(openapi3.WithStatus(302, &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc}}))})
	}
	redirect("SignIn_Login", "/auth/login", "单点登录：跳转到身份提供方。Start the OIDC sign-in (authorization code with PKCE).")
	redirect("SignIn_Callback", "/auth/callback", "身份提供方回调。The identity provider's redirect back; sets the session cookie.")
	session := object("", []string{"subject", "role"}, map[string]*openapi3.SchemaRef{
		"subject": str("The person's subject at the identity provider."), "name": str(""), "role": str(""),
		"street": str("Township code (roles street and grid)."), "district": str("District code."),
		"department": str("Department code (role desk)."), "grid": str("The micro-grid (role grid)."),
	})
	cli := object("", []string{"issuer", "client_id", "scopes"}, map[string]*openapi3.SchemaRef{
		"issuer": str("The OIDC provider."), "client_id": str("whistlectl's public client (device or PKCE flow)."),
		"scopes": openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(openapi3.NewStringSchema())),
	})
	add("POST", "/auth/logout", &openapi3.Operation{OperationID: "SignIn_Logout", Tags: []string{"SignIn"}, Security: public(),
		Summary: "退出登录。End the session; answers where the browser goes next.", Responses: ok("Where to go.", jsonContent(object("", []string{"redirect"},
			map[string]*openapi3.SchemaRef{"redirect": str("")})))})
	add("GET", "/auth/session", &openapi3.Operation{OperationID: "SignIn_Session", Tags: []string{"SignIn"}, Security: public(),
		Summary: "当前登录人员（会话 Cookie）。The signed-in person of the session cookie.", Responses: ok("The person.", jsonContent(session))})
	add("GET", "/auth/cli", &openapi3.Operation{OperationID: "SignIn_CLIConfig", Tags: []string{"SignIn"}, Security: public(),
		Summary: "whistlectl 登录配置。What whistlectl needs to sign in (issuer, client id).", Responses: ok("The configuration.", jsonContent(cli))})
}

func addOpen311(add func(string, string, *openapi3.Operation)) {
	file := func(desc string) openapi3.Parameters { return openapi3.Parameters{pathParam("file", desc)} }
	doc := "Per Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), in JSON or XML by the file's extension. Public: " +
		"reads need no key; POST requests.{format} needs the api_key the deployment issued (WHISTLE_OPEN311_KEYS)."
	// One request's answer, for the examples: GeoReport v2 answers lists.
	jsonExample := []any{map[string]any{"service_request_id": "0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f", "service_code": "street-vending",
		"status": "open", "description": "东华门大街路口早市占道", "lat": 39.9163, "long": 116.3972}}
	xmlExample := "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><service_request_id>0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f</service_request_id><status>open</status></request></service_requests>"
	for _, r := range []struct{ method, path, id, summary, param string }{
		{"GET", "/open311/v2/{file}", "Open311_Get", "discovery.{format}, services.{format} or requests.{format}.", "discovery.json, services.json, requests.json (or .xml)"},
		{"POST", "/open311/v2/{file}", "Open311_PostRequest", "Submit a service request: requests.{format}.", "requests.json or requests.xml"},
		{"GET", "/open311/v2/services/{file}", "Open311_GetService", "A service definition: services/{code}.{format}.", "{service_code}.json"},
		{"GET", "/open311/v2/requests/{file}", "Open311_GetRequest", "A service request: requests/{id}.{format}.", "{service_request_id}.json"},
		{"GET", "/open311/v2/tokens/{file}", "Open311_GetToken", "A request id by its token: tokens/{token}.{format}.", "{token}.json"},
	} {
		add(r.method, r.path, &openapi3.Operation{OperationID: r.id, Tags: []string{"Open311"}, Security: public(),
			Summary: r.summary, Description: doc, Parameters: file(r.param), Responses: ok("Per the GeoReport v2 specification.", openapi3.Content{
				"application/json": &openapi3.MediaType{Schema: openapi3.NewSchemaRef("", &openapi3.Schema{}), Example: jsonExample},
				"application/xml":  &openapi3.MediaType{Schema: openapi3.NewSchemaRef("", &openapi3.Schema{}), Example: xmlExample},
			})})
	}
}
