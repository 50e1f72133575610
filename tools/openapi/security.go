package main

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// BearerScheme or SessionScheme is what every non-public operation requires.
const (
	BearerScheme  = "bearer"
	SessionScheme = "session"
)

// publicOperations are the generated operations that need no token: the
// residents' report form, follow-up pages and public results (intake's
// PublicReportMethods), and the street and category lookups routing answers
// anyone (routing's PublicMethods; a token is accepted and widens nothing).
var publicOperations = map[string]bool{
	"ReportService_SubmitPublicReport": true,
	"ReportService_GetFollowUp":        true,
	"ReportService_RateFollowUp":       true,
	"ReportService_GetPublicResults":   true,
	"RoutingService_GetCategory":       true,
	"RoutingService_GetStreet":         true,
}

// public is the security of an operation anyone may call.
func public() *openapi3.SecurityRequirements {
	return &openapi3.SecurityRequirements{}
}

// secure declares the bearer scheme, requires it document-wide and marks the
// public operations (security: []). Hand-written operations set their own.
func secure(doc *openapi3.T) error {
	if doc.Components.SecuritySchemes == nil {
		doc.Components.SecuritySchemes = openapi3.SecuritySchemes{}
	}
	doc.Components.SecuritySchemes[BearerScheme] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
		Type: "http", Scheme: "bearer", BearerFormat: "JWT",
		Description: "EdDSA 签名的 JWT：单点登录（/auth/login）或开发环境 POST /v1/dev/tokens 签发。" +
			"An EdDSA-signed JWT from the sign-in (/auth/login) or, in development, POST /v1/dev/tokens; " +
			"the gateway publishes its keys at /.well-known/jwks.json.",
	}}
	doc.Components.SecuritySchemes[SessionScheme] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
		Type: "apiKey", In: "cookie", Name: "whistle_session",
		Description: "控制台登录后的会话 Cookie（同源请求）。The console's session cookie after the OIDC sign-in " +
			"(same-origin requests only); the gateway exchanges it for an internal token.",
	}}
	doc.Security = openapi3.SecurityRequirements{{BearerScheme: []string{}}, {SessionScheme: []string{}}}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Security == nil && publicOperations[op.OperationID] {
				op.Security = public()
			}
		}
	}
	return nil
}

// isPublic reports whether op needs no token.
func isPublic(op *openapi3.Operation) bool {
	return op.Security != nil && len(*op.Security) == 0
}
