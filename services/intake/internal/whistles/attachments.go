package whistles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlefields"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// What the gateway serves of an attachment.
const (
	VariantContent   = "content"
	VariantThumbnail = "thumbnail"
)

// MaxAttachments bounds the evidence on one whistle, across all stages.
const MaxAttachments = 9

// Attachment stages: who adds evidence when.
const (
	StageRaise      = "raise"      // the raising street
	StageArrival    = "arrival"    // a dispatched desk, at 到场
	StageResolution = "resolution" // a dispatched desk, at 办结
)

// AddAttachment records evidence the gateway has stored on a whistle, with
// its event; with checkOnly it only tells whether caller may add it.
func (s *Service) AddAttachment(ctx context.Context, id auth.Identity, a *intakev1.Attachment, checkOnly bool) (*intakev1.Attachment, error) {
	if id.Role != auth.RoleStreet && id.Role != auth.RoleDesk {
		return nil, fmt.Errorf("role %s adds no evidence: %w", id.Role, intake.ErrPermissionDenied)
	}
	var saved store.Attachment
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		// Scope first, so that nobody learns anything of a whistle out of reach.
		w, err := q.LockWhistle(ctx, a.GetWhistleId())
		if errors.Is(err, pgx.ErrNoRows) {
			return intake.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock whistle %s: %w", a.GetWhistleId(), err)
		}
		var dispatchID, department string
		switch id.Role {
		case auth.RoleStreet: // the raising street only: a neighbour reads but adds nothing
			if w.StreetID != id.StreetID {
				return intake.ErrNotFound
			}
		case auth.RoleDesk: // a desk of a department dispatched on the whistle
			if w.DistrictID != id.DistrictID {
				return intake.ErrNotFound
			}
			dispatchID, err = q.DispatchOfDepartment(ctx, store.DispatchOfDepartmentParams{WhistleID: w.ID, Department: id.Department})
			if errors.Is(err, pgx.ErrNoRows) {
				return intake.ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("dispatch of %s on %s: %w", id.Department, w.ID, err)
			}
			department = id.Department
		}
		if (id.Role == auth.RoleStreet) != (a.GetStage() == StageRaise) {
			return invalid.Field("attachment.stage", "the street adds evidence at raise, a desk at arrival or resolution")
		}
		switch a.GetStage() {
		case StageRaise, StageArrival, StageResolution:
		default:
			return invalid.Field("attachment.stage", "must be raise, arrival or resolution")
		}
		if checkOnly {
			saved = store.Attachment{WhistleID: w.ID, Stage: a.GetStage(), DispatchID: dispatchID, Department: department}
			return nil
		}
		if err := whistlefields.CheckAttachment(a); err != nil {
			return err
		}
		row := store.InsertAttachmentParams{
			AttachmentID: a.GetId(), WhistleID: w.ID, Stage: a.GetStage(), DispatchID: dispatchID, Department: department,
			MediaType: a.GetMediaType(), SizeBytes: a.GetSizeBytes(), Sha256: a.GetSha256(), StoredSha256: a.GetStoredSha256(),
			Width: a.GetWidth(), Height: a.GetHeight(), HasThumbnail: a.GetHasThumbnail(), FileName: a.GetFileName(),
			ActorRole: id.Role, ActorID: id.Subject, AddedAt: s.Now(),
		}
		if l := a.GetExifLocation(); l != nil {
			row.ExifLat = pgtype.Float8{Float64: l.GetLat(), Valid: true}
			row.ExifLng = pgtype.Float8{Float64: l.GetLng(), Valid: true}
		}
		if existing, err := q.GetAttachment(ctx, store.GetAttachmentParams{WhistleID: w.ID, AttachmentID: a.GetId()}); err == nil {
			saved = existing // added before: the retry changes nothing
			return nil
		}
		n, err := q.CountAttachments(ctx, w.ID)
		if err != nil {
			return fmt.Errorf("count attachments of %s: %w", w.ID, err)
		}
		if n >= MaxAttachments {
			return invalid.Field("attachment", fmt.Sprintf("a whistle holds at most %d attachments", MaxAttachments))
		}
		inserted, err := q.InsertAttachment(ctx, row)
		if err != nil {
			return fmt.Errorf("add attachment to %s: %w", w.ID, err)
		}
		if inserted == 0 { // the id belongs to another whistle
			return invalid.Field("attachment.id", "is already used")
		}
		saved = store.Attachment(row)
		ev := attachmentAddedEvent(row.AddedAt, ActorOf(id), w, withoutPosition(attachmentOf(saved)))
		if err := outbox.Add(ctx, tx, ev); err != nil {
			return fmt.Errorf("add attachment to %s: %w", w.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return attachmentOf(saved), nil
}

// GetAttachment returns one attachment of a whistle the caller may read,
// about to be served as variant.
func (s *Service) GetAttachment(ctx context.Context, caller auth.Identity, whistleID, attachmentID, variant string) (*intakev1.Attachment, error) {
	// The whistle's own check: whoever may read it may read its evidence.
	w, err := s.Get(ctx, caller, whistleID)
	if err != nil {
		return nil, err
	}
	if err := CheckVariant(caller, variant); err != nil {
		return nil, err
	}
	for _, a := range w.GetAttachments() {
		if a.GetId() == attachmentID {
			return a, nil
		}
	}
	return nil, intake.ErrNotFound
}

// CheckVariant checks what the gateway is about to serve to caller: the
// public has thumbnails only.
func CheckVariant(caller auth.Identity, variant string) error {
	switch variant {
	case "", VariantThumbnail:
	case VariantContent:
		if caller.Role == auth.RolePublic {
			return fmt.Errorf("the public sees thumbnails only: %w", intake.ErrPermissionDenied)
		}
	default:
		return invalid.Field("variant", "must be content or thumbnail")
	}
	return nil
}

// attachments is the evidence of w for the caller: without positions for the public.
func (s *Service) attachments(ctx context.Context, id auth.Identity, w *intakev1.Whistle) error {
	rows, err := store.New(s.Pool).ListAttachments(ctx, w.GetId())
	if err != nil {
		return fmt.Errorf("attachments of %s: %w", w.GetId(), err)
	}
	w.Attachments = make([]*intakev1.Attachment, 0, len(rows))
	for _, r := range rows {
		a := attachmentOf(r)
		if id.Role == auth.RolePublic {
			a = publicAttachment(a)
		}
		w.Attachments = append(w.Attachments, a)
	}
	return nil
}

func attachmentOf(r store.Attachment) *intakev1.Attachment {
	a := &intakev1.Attachment{
		Id: r.AttachmentID, WhistleId: r.WhistleID, Stage: r.Stage, DispatchId: r.DispatchID, Department: r.Department,
		MediaType: r.MediaType, SizeBytes: r.SizeBytes, Sha256: r.Sha256, StoredSha256: r.StoredSha256,
		Width: r.Width, Height: r.Height, HasThumbnail: r.HasThumbnail, FileName: r.FileName,
		AddedBy: &typesv1.Actor{Role: r.ActorRole, Id: r.ActorID}, AddedAt: timestamppb.New(r.AddedAt),
	}
	if r.ExifLat.Valid && r.ExifLng.Valid {
		a.ExifLocation = &typesv1.LatLng{Lat: r.ExifLat.Float64, Lng: r.ExifLng.Float64}
	}
	return a
}

// withoutPosition is a without its EXIF position: the timeline's copy.
func withoutPosition(a *intakev1.Attachment) *intakev1.Attachment {
	out := proto.Clone(a).(*intakev1.Attachment)
	out.ExifLocation = nil
	return out
}

// publicAttachment is what the public may know of evidence: that it exists,
// its kind, stage, time and fingerprint; not its position, file name or who added it.
func publicAttachment(a *intakev1.Attachment) *intakev1.Attachment {
	return &intakev1.Attachment{
		Id: a.GetId(), WhistleId: a.GetWhistleId(), Stage: a.GetStage(), Department: a.GetDepartment(),
		MediaType: a.GetMediaType(), Sha256: a.GetSha256(), HasThumbnail: a.GetHasThumbnail(), AddedAt: a.GetAddedAt(),
	}
}

// attachmentAddedEvent is whistle.attachment_added (without the EXIF position): a
// desk's evidence carries its dispatch and department on the envelope.
func attachmentAddedEvent(at time.Time, actor *typesv1.Actor, w store.Whistle, a *intakev1.Attachment) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.DispatchId = a.GetDispatchId()
	ev.Department = a.GetDepartment()
	ev.Payload = &eventsv1.Event_WhistleAttachmentAdded{WhistleAttachmentAdded: &eventsv1.WhistleAttachmentAdded{Attachment: a}}
	return ev
}
