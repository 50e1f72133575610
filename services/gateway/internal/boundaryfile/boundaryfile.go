// Package boundaryfile serves POST /v1/boundaries:import with a GeoJSON file
// (application/geo+json) as its body: a district's streets or communities
// are larger than the JSON API's 1 MiB body limit, so the file is sent as it
// is (curl --data-binary, whistlectl geo import) with the import's options in
// the query, and handed to routing's ImportBoundaries. A JSON body
// ({"geojson": "..."}) still goes to the generated REST route.
package boundaryfile

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/chuishao/whistle/platform/limits"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

// Path is the route; it is shared with the JSON form.
const Path = "/v1/boundaries:import"

// MediaType is the body's content type (RFC 7946).
const MediaType = "application/geo+json"

// MaxBytes bounds a file (3 MiB): the limit declared on
// ImportBoundariesRequest.geojson, below the backends' message limit.
var MaxBytes = limits.Of((&routingv1.ImportBoundariesRequest{}).ProtoReflect().Descriptor().Fields().ByName("geojson")).MaxBytes

// Importer is the one routing call the route makes.
type Importer interface {
	ImportBoundaries(ctx context.Context, in *routingv1.ImportBoundariesRequest, opts ...grpc.CallOption) (*routingv1.BoundaryImport, error)
}

// Handler imports the GeoJSON file of a POST to Path (a MediaType body)
// with imp. It is served outside the gateway's 1 MiB body limit, with its
// own limit (MaxBytes) and the request timeout. The query carries the
// request's other fields by name (replace and publish are true or 1).
func Handler(imp Importer, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, body, ok := httpapi.ReadUpload(w, r, MaxBytes, "boundaries",
			fmt.Sprintf("a GeoJSON body is at most %d bytes: split the file (e.g. by district)", MaxBytes))
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		q := r.URL.Query()
		flag := func(name string) bool { v, _ := strconv.ParseBool(q.Get(name)); return v }
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
		resp, err := imp.ImportBoundaries(ctx, &routingv1.ImportBoundariesRequest{
			Geojson: string(body), Level: q.Get("level"), CoordSys: q.Get("coord_sys"),
			CodeProperty: q.Get("code_property"), NameProperty: q.Get("name_property"), ParentProperty: q.Get("parent_property"),
			Replace: flag("replace"), Description: q.Get("description"), Publish: flag("publish"),
		}, grpc.MaxCallSendMsgSize(limits.MaxMessageBytes))
		if err != nil {
			apierror.WriteStatus(w, err)
			return
		}
		httpapi.WriteAnswer(w, resp)
	})
}
