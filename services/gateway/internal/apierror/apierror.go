// Package apierror writes the public REST contract's one error shape:
//
//	{"error":{"code":"INVALID_ARGUMENT","message":"...","details":[{"field":"category","reason":"..."}]}}
//
// Every error the gateway returns — from a backend, from routing, from its own
// handlers — goes through here, so clients parse exactly one shape.
package apierror

import (
	"encoding/json"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// Codes the gateway uses that have no gRPC equivalent. The rest are the
// canonical gRPC code names (INVALID_ARGUMENT, NOT_FOUND, ...).
const (
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
)

// Detail names one offending request field.
type Detail struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the body of the "error" member.
type Error struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []Detail `json:"details"`
}

// Body is the whole JSON error document.
type Body struct {
	Error Error `json:"error"`
}

// Write sends an error document with the given HTTP status.
func Write(w http.ResponseWriter, httpStatus int, errCode, message string, details ...Detail) {
	if details == nil {
		details = []Detail{} // always an array, so clients need no null check
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(Body{Error: Error{Code: errCode, Message: message, Details: details}})
}

// CodeName is the canonical upper-snake name of a gRPC status, e.g. INVALID_ARGUMENT.
func CodeName(st *status.Status) string {
	return code.Code(st.Code()).String()
}

// FieldDetails lists the field violations carried by st (errdetails.BadRequest).
func FieldDetails(st *status.Status) []Detail {
	var out []Detail
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			out = append(out, Detail{Field: v.GetField(), Reason: v.GetDescription()})
		}
	}
	return out
}

// WriteStatus sends a backend's gRPC error as the error document with its
// HTTP status, asking for a bearer token on 401. Handlers outside the
// grpc-gateway mux that call a backend answer its errors with it.
func WriteStatus(w http.ResponseWriter, err error) {
	st := status.Convert(err)
	httpStatus := runtime.HTTPStatusFromCode(st.Code())
	if httpStatus == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	Write(w, httpStatus, CodeName(st), st.Message(), FieldDetails(st)...)
}
