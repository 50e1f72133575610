package httpapi

import (
	"fmt"
	"io"
	"net/http"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// ReadUpload reads the file body of an import route (a 12345 export, a
// boundary file), which sits outside the JSON API and its 1 MiB limit. It
// turns away a caller without a bearer token before reading anything (the
// backend checks the token itself; imports is what they may not import,
// e.g. "tickets"), and answers a body over max bytes 413 with tooLarge. ok
// is false when it has answered.
func ReadUpload(w http.ResponseWriter, r *http.Request, max int, imports, tooLarge string) (auth string, body []byte, ok bool) {
	if auth = r.Header.Get("Authorization"); auth == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", "a bearer token is required to import "+imports)
		return "", nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(max)))
	if err != nil {
		apierror.Write(w, http.StatusRequestEntityTooLarge, apierror.CodePayloadTooLarge, tooLarge,
			apierror.Detail{Field: "body", Reason: fmt.Sprintf("must be at most %d bytes", max)})
		return "", nil, false
	}
	return auth, body, true
}

// WriteAnswer writes a backend's answer as the REST API does: proto field
// names, unset fields included.
func WriteAnswer(w http.ResponseWriter, resp proto.Message) {
	out, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(resp)
	if err != nil {
		apierror.Write(w, http.StatusInternalServerError, "INTERNAL", "could not encode the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
