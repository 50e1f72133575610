package events

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// BoardNote is one note of a joint board.
type BoardNote struct {
	ID, WhistleID, Department string
	Author                    *typesv1.Actor
	Text                      string
	CreatedAt                 time.Time
}

// BoardNoteProto is the API's and the events' view of n.
func BoardNoteProto(n BoardNote) *responsev1.BoardNote {
	return &responsev1.BoardNote{
		Id: n.ID, WhistleId: n.WhistleID, Department: n.Department,
		Author: n.Author, Text: n.Text, CreatedAt: timestamppb.New(n.CreatedAt),
	}
}

// BoardNoted records note n on the timeline of d's whistle; d is the
// author's dispatch (the lead's for a supervisor), which scopes the event.
func BoardNoted(d response.Dispatch, n BoardNote) *eventsv1.Event {
	ev := about(d, n.CreatedAt, n.Author)
	ev.Payload = &eventsv1.Event_DispatchBoardNoted{DispatchBoardNoted: &eventsv1.DispatchBoardNoted{
		Note: BoardNoteProto(n), Dispatch: DispatchProto(d),
	}}
	return ev
}

// JointCompleted records the lead's 联合行动完成 with the departments on site.
func JointCompleted(lead response.Dispatch, departments []string, now time.Time, actor *typesv1.Actor) *eventsv1.Event {
	ev := about(lead, now, actor)
	ev.Payload = &eventsv1.Event_DispatchJointCompleted{DispatchJointCompleted: &eventsv1.DispatchJointCompleted{
		Dispatch: DispatchProto(lead), Departments: departments,
	}}
	return ev
}
