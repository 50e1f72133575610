package events

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// DeskEta is a desk's own ETA for arriving at its dispatch.
type DeskEta struct {
	Dispatch response.Dispatch
	ArriveAt time.Time
	Note     string
	SetBy    *typesv1.Actor
	SetAt    time.Time
}

// DeskEtaProto is the API's and the events' view of e.
func DeskEtaProto(e DeskEta) *responsev1.DeskEta {
	return &responsev1.DeskEta{
		DispatchId: e.Dispatch.ID, WhistleId: e.Dispatch.WhistleID, Department: e.Dispatch.Department,
		ArriveAt: timestamppb.New(e.ArriveAt), Note: e.Note, SetBy: e.SetBy, SetAt: timestamppb.New(e.SetAt),
	}
}

// EtaSet records a desk's own ETA on the timeline of its dispatch's whistle.
func EtaSet(e DeskEta) *eventsv1.Event {
	ev := about(e.Dispatch, e.SetAt, e.SetBy)
	ev.Payload = &eventsv1.Event_DispatchEtaSet{DispatchEtaSet: &eventsv1.DispatchEtaSet{
		Dispatch: DispatchProto(e.Dispatch), Eta: DeskEtaProto(e),
	}}
	return ev
}
