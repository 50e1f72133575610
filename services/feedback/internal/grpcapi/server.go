// Package grpcapi serves FeedbackService: it checks the caller's access,
// reads the timeline read model and converts it to the proto messages.
package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// Server implements feedbackv1.FeedbackServiceServer.
type Server struct {
	feedbackv1.UnimplementedFeedbackServiceServer
	pool    *pgxpool.Pool
	log     *slog.Logger
	clock   clock.Clock
	rebuild Rebuilder
	keys    timeline.Keys
	names   Names
}

// Rebuilder replays the event stream into a fresh read model.
type Rebuilder func(ctx context.Context) (events, dispatches int64, err error)

// New returns a server on the feedback schema through pool; rebuild serves
// RebuildReadModel, keys verify the timelines' hash chains and names (nil
// for none) name streets and categories in printed reports.
func New(pool *pgxpool.Pool, log *slog.Logger, clk clock.Clock, rebuild Rebuilder, keys timeline.Keys, names Names) *Server {
	return &Server{pool: pool, log: log, clock: clk, rebuild: rebuild, keys: keys, names: names}
}

// GetTimeline returns a whistle's entries in seq order, if the caller may see
// it; a merged whistle's timeline continues, in time order, with the entries
// of the whistle it was merged into (each entry names its whistle).
func (s *Server) GetTimeline(ctx context.Context, req *feedbackv1.GetTimelineRequest) (*feedbackv1.GetTimelineResponse, error) {
	chains, err := s.sharedChains(ctx, req.GetWhistleId())
	if err != nil {
		return nil, err
	}
	for _, chain := range chains {
		if b, broken := s.keys.VerifyChain(chain); broken {
			// Serve it anyway: the caller sees what is stored, and the log
			// alerts operators that the audit log was tampered with.
			s.log.ErrorContext(ctx, "timeline hash chain broken", "whistle_id", chain[0].WhistleID, "first_broken_seq", b.Seq, "reason", b.Reason)
		}
	}
	// Each chain verifies on its own (whistle_id, seq, prev_hash); joined, the
	// entries are in time order.
	entries := timeline.Join(chains...)
	resp := &feedbackv1.GetTimelineResponse{Entries: make([]*feedbackv1.TimelineEntry, 0, len(entries))}
	id, _ := auth.FromContext(ctx)
	for _, e := range entries {
		if !feedback.MaySeeEntry(id, e.Type) {
			continue
		}
		pe, err := toProto(e)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("timeline of whistle %s: %w", req.GetWhistleId(), err))
		}
		resp.Entries = append(resp.Entries, pe)
	}
	return resp, nil
}

// sharedChains are the hash chains the caller reads for a whistle: its own
// first, then those of the whistles it was merged into that the caller may
// read (errors are gRPC status errors).
func (s *Server) sharedChains(ctx context.Context, whistleID string) ([][]timeline.Entry, error) {
	id, own, err := s.callersTimeline(ctx, whistleID)
	if err != nil {
		return nil, err
	}
	merged, err := s.mergedChains(ctx, id, whistleID, own)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return append([][]timeline.Entry{own}, merged...), nil
}

// callersTimeline is the caller and a whistle's timeline for it, as a gRPC
// status error when the caller may not read timelines, gives no id, or is out
// of scope.
func (s *Server) callersTimeline(ctx context.Context, whistleID string) (auth.Identity, []timeline.Entry, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return id, nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	if !feedback.MayReadTimelines(id.Role) {
		return id, nil, s.toStatus(ctx, feedback.ErrWrongRole)
	}
	if whistleID == "" {
		return id, nil, rpcerr.Invalid("whistle_id", "is required")
	}
	entries, err := s.readTimeline(ctx, id, whistleID)
	if err != nil {
		return id, nil, s.toStatus(ctx, err)
	}
	return id, entries, nil
}

// readTimeline checks access and reads the entries in one snapshot, so the
// scope checked is the scope of the entries returned.
func (s *Server) readTimeline(ctx context.Context, id auth.Identity, whistleID string) ([]timeline.Entry, error) {
	var entries []timeline.Entry
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		entries, err = readableEntries(ctx, store.New(tx), id, whistleID)
		return err
	})
	return entries, err
}

// readableEntries is a whistle's hash chain if id may read it: ErrNotFound
// for an unknown whistle or one outside id's scope.
func readableEntries(ctx context.Context, q *store.Queries, id auth.Identity, whistleID string) ([]timeline.Entry, error) {
	scope, err := q.GetWhistleScope(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, feedback.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("scope of whistle %s: %w", whistleID, err)
	}
	w := feedback.Whistle{StreetID: scope.StreetID, DistrictID: scope.DistrictID, Drill: drill.Is(whistleID)}
	if id.Role == auth.RoleDesk {
		desks, err := q.ListDispatchDepartments(ctx, whistleID)
		if err != nil {
			return nil, fmt.Errorf("departments of whistle %s: %w", whistleID, err)
		}
		for _, d := range desks {
			w.Desks = append(w.Desks, feedback.DeskScope{Department: d.Department, DistrictID: d.DistrictID})
		}
	}
	all, err := listEntries(ctx, q, whistleID)
	if err != nil {
		return nil, err
	}
	if id.Role == auth.RoleStreet {
		// A neighbouring street informed by the map check reads it too.
		w.Neighbours = timeline.Neighbours(all)
	}
	if err := feedback.CanRead(id, w); err != nil {
		return nil, err
	}
	return all, nil
}

// listEntries reads one whistle's hash chain in seq order.
func listEntries(ctx context.Context, q *store.Queries, whistleID string) ([]timeline.Entry, error) {
	rows, err := q.ListTimeline(ctx, whistleID)
	if err != nil {
		return nil, fmt.Errorf("timeline of whistle %s: %w", whistleID, err)
	}
	entries := make([]timeline.Entry, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, timeline.Entry{
			WhistleID:  whistleID,
			Seq:        r.Seq,
			Type:       r.Type,
			At:         r.At.Time,
			Actor:      timeline.Actor{Role: r.ActorRole, ID: r.ActorID},
			DispatchID: r.DispatchID,
			Department: r.Department,
			EventID:    r.EventID,
			Data:       r.Data,
			PrevHash:   r.PrevHash,
			Hash:       r.Hash,
			KeyID:      r.KeyID,
		})
	}
	return entries, nil
}

// maxMergeHops bounds how far a merged whistle's timeline follows merges (a
// whistle merged into one that was merged in turn).
const maxMergeHops = 4

// mergedChains are the hash chains of the whistles that whistleID was merged
// into, in merge order: the merge shares the timeline with whoever may read
// both whistles. A link is followed only to a whistle the caller may read on
// its own; the chain stops at the first one it may not.
func (s *Server) mergedChains(ctx context.Context, id auth.Identity, whistleID string, own []timeline.Entry) ([][]timeline.Entry, error) {
	var chains [][]timeline.Entry
	seen := map[string]bool{whistleID: true}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := store.New(tx)
		from, entries := whistleID, own
		for range maxMergeHops {
			into := timeline.MergedInto(from, entries)
			if into == "" || seen[into] {
				return nil
			}
			seen[into] = true
			next, err := readableEntries(ctx, q, id, into)
			if errors.Is(err, feedback.ErrNotFound) {
				return nil // out of the caller's scope: left out
			}
			if err != nil {
				return err
			}
			chains = append(chains, next)
			from, entries = into, next
		}
		return nil
	})
	return chains, err
}

func toProto(e timeline.Entry) (*feedbackv1.TimelineEntry, error) {
	data := &structpb.Struct{}
	if err := protojson.Unmarshal(e.Data, data); err != nil {
		return nil, fmt.Errorf("data of entry %d: %w", e.Seq, err)
	}
	return &feedbackv1.TimelineEntry{
		Seq:        e.Seq,
		Type:       e.Type,
		At:         timestamppb.New(e.At),
		Actor:      &typesv1.Actor{Role: e.Actor.Role, Id: e.Actor.ID},
		DispatchId: e.DispatchID,
		Department: e.Department,
		Data:       data,
		Hash:       e.Hash,
		PrevHash:   e.PrevHash,
		KeyId:      e.KeyID,
		EventId:    e.EventID,
		WhistleId:  e.WhistleID,
	}, nil
}

// RebuildReadModel replays the whole event stream into a fresh read model
// (admin only); reports afterwards give the same numbers.
func (s *Server) RebuildReadModel(ctx context.Context, _ *feedbackv1.RebuildReadModelRequest) (*feedbackv1.RebuildReadModelResponse, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	if id.Role != auth.RoleAdmin {
		return nil, s.toStatus(ctx, feedback.ErrWrongRole)
	}
	n, d, err := s.rebuild(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &feedbackv1.RebuildReadModelResponse{EventsReplayed: n, Dispatches: d}, nil
}
