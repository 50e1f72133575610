package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chuishao/whistle/platform/blob"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// Paths of the uploads and of the served objects (a whistle attachment's
// metadata is the generated REST route GET /v1/whistles/{whistle_id}/attachments/{id};
// a report's are in the report).
const (
	UploadPath          = "POST /v1/whistles/{whistle_id}/attachments"
	ContentPath         = "GET /v1/whistles/{whistle_id}/attachments/{id}/content"
	ThumbnailPath       = "GET /v1/whistles/{whistle_id}/attachments/{id}/thumbnail"
	ReportUploadPath    = "POST /v1/discovery/reports/{report_id}/attachments"
	ReportContentPath   = "GET /v1/discovery/reports/{report_id}/attachments/{id}/content"
	ReportThumbnailPath = "GET /v1/discovery/reports/{report_id}/attachments/{id}/thumbnail"
)

// Intake is what the routes ask intake: whether the caller may add evidence,
// to record it, and whether the caller may read an attachment.
type Intake interface {
	AddAttachment(ctx context.Context, in *intakev1.AddAttachmentRequest, opts ...grpc.CallOption) (*intakev1.Attachment, error)
	GetAttachment(ctx context.Context, in *intakev1.GetAttachmentRequest, opts ...grpc.CallOption) (*intakev1.Attachment, error)
}

// Reports is the same for the photos on reports.
type Reports interface {
	AddReportAttachment(ctx context.Context, in *intakev1.AddReportAttachmentRequest, opts ...grpc.CallOption) (*intakev1.Attachment, error)
	GetReportAttachment(ctx context.Context, in *intakev1.GetReportAttachmentRequest, opts ...grpc.CallOption) (*intakev1.Attachment, error)
}

// Routes serves uploads and downloads of attachments.
type Routes struct {
	Store   blob.Store
	Intake  Intake
	Reports Reports
	Timeout time.Duration
	Log     *slog.Logger
}

// Key is where an attachment's stored object lives: under its report, or
// else its whistle; the thumbnail is Key+".thumb".
func Key(a *intakev1.Attachment) string {
	if a.GetReportId() != "" {
		return "reports/" + a.GetReportId() + "/" + a.GetId()
	}
	return "whistles/" + a.GetWhistleId() + "/" + a.GetId()
}

// owner is what an upload or download is on: a whistle or a report.
type owner struct {
	pathValue string // the path parameter naming it
	notFound  string // the answer when it is unknown or out of reach
	// stage of an upload: the query's for a whistle, fixed for a report.
	stage func(r *http.Request) string
	// on makes an attachment of it.
	on func(id string, a *intakev1.Attachment)
	// add records a (or, checkOnly, asks whether the caller may).
	add func(ctx context.Context, a *intakev1.Attachment, checkOnly bool) (*intakev1.Attachment, error)
	get func(ctx context.Context, ownerID, id, variant string) (*intakev1.Attachment, error)
}

func (rt *Routes) whistles() owner {
	return owner{
		pathValue: "whistle_id", notFound: "whistle not found",
		stage: func(r *http.Request) string { return r.URL.Query().Get("stage") },
		on:    func(id string, a *intakev1.Attachment) { a.WhistleId = id },
		add: func(ctx context.Context, a *intakev1.Attachment, checkOnly bool) (*intakev1.Attachment, error) {
			return rt.Intake.AddAttachment(ctx, &intakev1.AddAttachmentRequest{Attachment: a, CheckOnly: checkOnly})
		},
		get: func(ctx context.Context, ownerID, id, variant string) (*intakev1.Attachment, error) {
			return rt.Intake.GetAttachment(ctx, &intakev1.GetAttachmentRequest{WhistleId: ownerID, Id: id, Variant: variant})
		},
	}
}

func (rt *Routes) reports() owner {
	return owner{
		pathValue: "report_id", notFound: "report not found",
		stage: func(*http.Request) string { return "report" },
		on:    func(id string, a *intakev1.Attachment) { a.ReportId = id },
		add: func(ctx context.Context, a *intakev1.Attachment, checkOnly bool) (*intakev1.Attachment, error) {
			return rt.Reports.AddReportAttachment(ctx, &intakev1.AddReportAttachmentRequest{Attachment: a, CheckOnly: checkOnly})
		},
		get: func(ctx context.Context, ownerID, id, variant string) (*intakev1.Attachment, error) {
			return rt.Reports.GetReportAttachment(ctx, &intakev1.GetReportAttachmentRequest{ReportId: ownerID, Id: id, Variant: variant})
		},
	}
}

// ids are UUIDs, so every key is a valid blob key.
var idPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// On is what an attachment route's attachments are on.
type On int

const (
	OnWhistle On = iota // a whistle's evidence
	OnReport            // a discovery report's photos
)

func (rt *Routes) owner(on On) owner {
	if on == OnReport {
		return rt.reports()
	}
	return rt.whistles()
}

// Upload answers UploadPath (OnWhistle) or ReportUploadPath (OnReport): it
// stores the body and records it as an attachment.
func (rt *Routes) Upload(on On) http.HandlerFunc {
	o := rt.owner(on)
	return func(w http.ResponseWriter, r *http.Request) { rt.upload(w, r, o) }
}

// Content answers ContentPath or ReportContentPath: the stored object.
func (rt *Routes) Content(on On) http.HandlerFunc {
	o := rt.owner(on)
	return func(w http.ResponseWriter, r *http.Request) { rt.serve(w, r, o, "content") }
}

// Thumbnail answers ThumbnailPath or ReportThumbnailPath: the image's
// thumbnail.
func (rt *Routes) Thumbnail(on On) http.HandlerFunc {
	o := rt.owner(on)
	return func(w http.ResponseWriter, r *http.Request) { rt.serve(w, r, o, "thumbnail") }
}

// caller is the request's context carrying its bearer token to intake, with
// the request timeout; false (answered 401) without a token.
func (rt *Routes) caller(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc, bool) {
	if rt.Store == nil {
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "attachments are not configured (WHISTLE_BLOB_DIR or WHISTLE_S3_ENDPOINT)")
		return nil, nil, false
	}
	token := r.Header.Get("Authorization")
	if token == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", "a bearer token is required for attachments")
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), rt.Timeout)
	return metadata.AppendToOutgoingContext(ctx, "authorization", token), cancel, true
}

// upload takes one file as the raw request body (any Content-Type: the type
// is sniffed), with file_name (and a whistle's stage) in the query.
func (rt *Routes) upload(w http.ResponseWriter, r *http.Request, o owner) {
	ownerID := r.PathValue(o.pathValue)
	ctx, cancel, ok := rt.caller(w, r)
	if !ok {
		return
	}
	defer cancel()
	if !idPattern.MatchString(ownerID) {
		apierror.Write(w, http.StatusNotFound, "NOT_FOUND", o.notFound)
		return
	}
	// Whoever may not add evidence at this stage stores nothing: asked before the body is read.
	stage := o.stage(r)
	check := &intakev1.Attachment{Stage: stage}
	o.on(ownerID, check)
	if _, err := o.add(ctx, check, true); err != nil {
		apierror.WriteStatus(w, err)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			apierror.Write(w, http.StatusRequestEntityTooLarge, apierror.CodePayloadTooLarge,
				fmt.Sprintf("an attachment is at most %d bytes", MaxBytes),
				apierror.Detail{Field: "body", Reason: fmt.Sprintf("must be at most %d bytes", MaxBytes)})
			return
		}
		apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "the body could not be read")
		return
	}
	p, err := Prepare(data)
	if err != nil {
		code, name := http.StatusBadRequest, "INVALID_ARGUMENT"
		if errors.Is(err, ErrUnsupported) {
			code, name = http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"
		}
		apierror.Write(w, code, name, err.Error(), apierror.Detail{Field: "body", Reason: err.Error()})
		return
	}
	a := &intakev1.Attachment{
		Id:    uuid.Must(uuid.NewV7()).String(), // time-ordered: evidence is listed in upload order
		Stage: stage, MediaType: p.MediaType,
		SizeBytes: int64(len(p.Stored)), Sha256: p.SHA256, StoredSha256: p.StoredSHA256,
		Width: int32(p.Width), Height: int32(p.Height), HasThumbnail: p.Thumbnail != nil,
		FileName: r.URL.Query().Get("file_name"),
	}
	o.on(ownerID, a)
	if p.GPS != nil {
		a.ExifLocation = &typesv1.LatLng{Lat: p.GPS.Lat, Lng: p.GPS.Lng}
	}
	key := Key(a)
	if err := rt.Store.Put(ctx, key, bytes.NewReader(p.Stored), int64(len(p.Stored)), p.MediaType); err != nil {
		rt.storeFailed(w, r, err)
		return
	}
	if p.Thumbnail != nil {
		if err := rt.Store.Put(ctx, key+".thumb", bytes.NewReader(p.Thumbnail), int64(len(p.Thumbnail)), "image/jpeg"); err != nil {
			rt.storeFailed(w, r, err)
			return
		}
	}
	saved, err := o.add(ctx, a, false)
	if err != nil {
		// Refused (stage, count, scope): what was stored is removed again.
		rt.remove(key, p.Thumbnail != nil)
		apierror.WriteStatus(w, err)
		return
	}
	out, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(saved)
	if err != nil {
		apierror.Write(w, http.StatusInternalServerError, "INTERNAL", "could not encode the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

func (rt *Routes) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	rt.Log.ErrorContext(r.Context(), "store attachment", "err", err)
	apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the attachment could not be stored; try again")
}

func (rt *Routes) remove(key string, thumb bool) {
	ctx, cancel := context.WithTimeout(context.Background(), rt.Timeout)
	defer cancel()
	for _, k := range []string{key, key + ".thumb"} {
		if k != key && !thumb {
			continue
		}
		if err := rt.Store.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			rt.Log.WarnContext(ctx, "remove refused attachment", "key", k, "err", err)
		}
	}
}

// serve streams an attachment's object after intake said the caller may read it.
func (rt *Routes) serve(w http.ResponseWriter, r *http.Request, o owner, variant string) {
	ctx, cancel, ok := rt.caller(w, r)
	if !ok {
		return
	}
	defer cancel()
	ownerID, id := r.PathValue(o.pathValue), r.PathValue("id")
	if !idPattern.MatchString(ownerID) || !idPattern.MatchString(id) {
		apierror.Write(w, http.StatusNotFound, "NOT_FOUND", "attachment not found")
		return
	}
	a, err := o.get(ctx, ownerID, id, variant)
	if err != nil {
		apierror.WriteStatus(w, err)
		return
	}
	Serve(w, r, rt.Store, rt.Log, a, variant)
}

// Serve writes the stored object of a (content or thumbnail) to w. The
// caller has checked the reader may see it.
func Serve(w http.ResponseWriter, r *http.Request, store blob.Store, log *slog.Logger, a *intakev1.Attachment, variant string) {
	key := Key(a)
	if variant == "thumbnail" {
		if !a.GetHasThumbnail() {
			apierror.Write(w, http.StatusNotFound, "NOT_FOUND", "this attachment has no thumbnail")
			return
		}
		key += ".thumb"
	}
	obj, err := store.Get(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		apierror.Write(w, http.StatusNotFound, "NOT_FOUND", "attachment not found")
		return
	}
	if err != nil {
		log.ErrorContext(r.Context(), "read attachment", "key", key, "err", err)
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the attachment could not be read; try again")
		return
	}
	defer func() { _ = obj.Close() }()
	h := w.Header()
	h.Set("Content-Type", obj.ContentType)
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	// Served as the type the gateway sniffed, never rendered as a page.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("ETag", `"`+a.GetStoredSha256()+"-"+variant+`"`)
	if variant == "content" && obj.ContentType != "image/jpeg" && obj.ContentType != "image/png" {
		h.Set("Content-Disposition", "attachment")
	}
	_, _ = io.Copy(w, obj)
}
