// Package ticketcsv serves POST /v1/tickets:importCsv with a file as its body:
// a 12345 hotline export as CSV (text/csv, in UTF-8, UTF-8 with a byte order
// mark, or GB18030/GBK) or as an .xlsx workbook. An export of tens of
// thousands of rows is larger than the JSON API's 1 MiB body limit, so the
// file is sent as it is (curl --data-binary), turned into UTF-8 CSV text here
// and handed to intake's ImportTicketsCsv. A JSON body ({"csv": "..."}) still
// goes to the generated REST route.
package ticketcsv

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/chuishao/whistle/platform/limits"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

// Path is the route; it is shared with the JSON form.
const Path = "/v1/tickets:importCsv"

// MaxBytes bounds a body, CSV or .xlsx, and the UTF-8 CSV text made of it
// (3 MiB, about 25,000 rows): the limit declared on
// ImportTicketsCsvRequest.csv, below the backends' message limit.
var MaxBytes = limits.Of((&intakev1.ImportTicketsCsvRequest{}).ProtoReflect().Descriptor().Fields().ByName("csv")).MaxBytes

// Importer is the one intake call the route makes.
type Importer interface {
	ImportTicketsCsv(ctx context.Context, in *intakev1.ImportTicketsCsvRequest, opts ...grpc.CallOption) (*intakev1.ImportTicketsCsvResponse, error)
}

// MediaTypes are the bodies Handler takes; any other body of a POST to Path
// is the JSON form, the generated REST route's.
var MediaTypes = []string{"text/csv", XLSXType}

// Handler imports the file of a POST to Path (a body of one of MediaTypes)
// with imp. It is served outside the gateway's 1 MiB body limit, with its
// own limit (MaxBytes) and the request timeout.
func Handler(imp Importer, timeout time.Duration) http.Handler {
	workbooks := make(chan struct{}, MaxWorkbooksAtOnce)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		auth, body, ok := httpapi.ReadUpload(w, r, MaxBytes, "tickets",
			fmt.Sprintf("a CSV or .xlsx body is at most %d bytes: split the file", MaxBytes))
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if media == XLSXType {
			select {
			case workbooks <- struct{}{}:
				defer func() { <-workbooks }()
			case <-ctx.Done():
				apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "other workbooks are being read: try again")
				return
			}
		}
		text, sheet, err := toCSV(media, body)
		if err != nil {
			apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), apierror.Detail{Field: "body", Reason: err.Error()})
			return
		}
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
		resp, err := imp.ImportTicketsCsv(ctx, &intakev1.ImportTicketsCsvRequest{
			Csv: text, Source: r.URL.Query().Get("source"), CoordSys: r.URL.Query().Get("coord_sys"),
		}, grpc.MaxCallSendMsgSize(limits.MaxMessageBytes))
		if err != nil {
			apierror.WriteStatus(w, err)
			return
		}
		if sheet != nil {
			for _, e := range resp.GetErrors() {
				e.Line = int32(sheet.Row(int(e.GetLine())))
			}
		}
		httpapi.WriteAnswer(w, resp)
	})
}

// toCSV is body as UTF-8 CSV text; for a workbook also its sheet, whose row
// numbers replace CSV line numbers in the answer.
func toCSV(media string, body []byte) (string, *Sheet, error) {
	if media == XLSXType {
		sheet, err := FromXLSX(body)
		if err != nil {
			return "", nil, err
		}
		return sheet.CSV, sheet, nil
	}
	if bytes.HasPrefix(body, []byte("PK\x03\x04")) {
		return "", nil, fmt.Errorf("the body is a zip archive, not CSV text: send an .xlsx workbook as %s", XLSXType)
	}
	text, err := DecodeText(body)
	if err == nil && len(text) > MaxBytes {
		// GB18030 takes two bytes for a Chinese character, UTF-8 three.
		err = fmt.Errorf("the file is %d bytes as UTF-8, more than %d: split the file", len(text), MaxBytes)
	}
	return text, nil, err
}
