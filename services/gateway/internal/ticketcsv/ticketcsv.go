// Package ticketcsv serves POST /v1/tickets:importCsv with a text/csv body: a
// 12345 hotline export of tens of thousands of rows is larger than the JSON
// API's 1 MiB body limit, so the file is sent as it is (curl --data-binary)
// and handed to intake's ImportTicketsCsv. A JSON body ({"csv": "..."}) still
// goes to the generated REST route.
package ticketcsv

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chuishao/whistle/platform/limits"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// Path is the route; it is shared with the JSON form.
const Path = "/v1/tickets:importCsv"

// MaxBytes bounds a CSV body (3 MiB, about 25,000 rows): the limit declared
// on ImportTicketsCsvRequest.csv, below the backends' message limit.
var MaxBytes = limits.Of((&intakev1.ImportTicketsCsvRequest{}).ProtoReflect().Descriptor().Fields().ByName("csv")).MaxBytes

// Importer is the one intake call the route makes.
type Importer interface {
	ImportTicketsCsv(ctx context.Context, in *intakev1.ImportTicketsCsvRequest, opts ...grpc.CallOption) (*intakev1.ImportTicketsCsvResponse, error)
}

// Route serves text/csv POSTs to Path with imp and everything else with next.
// It sits outside the gateway's 1 MiB body limit, with its own limit and the
// request timeout.
func Route(next http.Handler, imp Importer, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.URL.Path != Path || r.Method != http.MethodPost || media != "text/csv" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(MaxBytes)))
		if err != nil {
			apierror.Write(w, http.StatusRequestEntityTooLarge, apierror.CodePayloadTooLarge,
				fmt.Sprintf("a CSV body is at most %d bytes: split the file", MaxBytes),
				apierror.Detail{Field: "body", Reason: fmt.Sprintf("must be at most %d bytes", MaxBytes)})
			return
		}
		if auth := r.Header.Get("Authorization"); auth != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
		}
		resp, err := imp.ImportTicketsCsv(ctx, &intakev1.ImportTicketsCsvRequest{Csv: string(body), Source: r.URL.Query().Get("source")},
			grpc.MaxCallSendMsgSize(limits.MaxMessageBytes))
		if err != nil {
			st := status.Convert(err)
			code := runtime.HTTPStatusFromCode(st.Code())
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", "Bearer")
			}
			apierror.Write(w, code, apierror.CodeName(st), st.Message(), apierror.FieldDetails(st)...)
			return
		}
		out, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(resp)
		if err != nil {
			apierror.Write(w, http.StatusInternalServerError, "INTERNAL", "could not encode the answer")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
}
