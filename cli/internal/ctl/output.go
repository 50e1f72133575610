package ctl

import (
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// TimeLayout is how tables show times, in the local zone.
const TimeLayout = "2006-01-02 15:04:05"

func fmtTime(ts *timestamppb.Timestamp) string {
	if ts == nil || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) {
		return "-"
	}
	return ts.AsTime().Local().Format(TimeLayout)
}

func fmtLoc(l *typesv1.LatLng) string {
	if l == nil {
		return "-"
	}
	return fmt.Sprintf("%.6f, %.6f", l.GetLat(), l.GetLng())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printWhistle(w io.Writer, wh *intakev1.Whistle) error {
	t := newTable(w)
	t.row("ID", wh.GetId())
	t.row("STATUS", wh.GetStatus().String())
	t.row("STREET", wh.GetStreetId()+" (district "+wh.GetDistrictId()+")")
	t.row("CATEGORY", wh.GetCategory())
	t.row("URGENCY", wh.GetUrgency().String())
	t.row("TITLE", orDash(wh.GetTitle()))
	t.row("DESCRIPTION", wh.GetDescription())
	t.row("ADDRESS", orDash(wh.GetAddress()))
	t.row("LOCATION", fmtLoc(wh.GetLocation()))
	t.row("RAISED AT", fmtTime(wh.GetRaisedAt()))
	if wh.GetRaisedBy() != nil {
		t.row("RAISED BY", wh.GetRaisedBy().GetRole()+" "+wh.GetRaisedBy().GetId())
	}
	t.row("RESOLVED AT", fmtTime(wh.GetResolvedAt()))
	t.row("CLOSED AT", fmtTime(wh.GetClosedAt()))
	if wh.GetSatisfaction() > 0 {
		t.row("SATISFACTION", fmt.Sprintf("%d/5 %s", wh.GetSatisfaction(), wh.GetFeedbackComment()))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(wh.GetDispatches()) == 0 {
		_, err := fmt.Fprintln(w, "\nNo dispatches yet.")
		return err
	}
	fmt.Fprintln(w, "\nDISPATCHES")
	return printDispatches(w, wh.GetDispatches())
}

func printWhistles(w io.Writer, list []*intakev1.Whistle) error {
	t := newTable(w, "ID", "STATUS", "URGENCY", "CATEGORY", "STREET", "RAISED AT", "TITLE")
	for _, wh := range list {
		title := wh.GetTitle()
		if title == "" {
			title = wh.GetDescription()
		}
		t.row(wh.GetId(), wh.GetStatus().String(), wh.GetUrgency().String(), wh.GetCategory(), wh.GetStreetId(),
			fmtTime(wh.GetRaisedAt()), truncate(title, 40))
	}
	return t.flush()
}

func printDispatches(w io.Writer, list []*responsev1.Dispatch) error {
	t := newTable(w, "ID", "WHISTLE", "DEPARTMENT", "STATUS", "DISPATCHED AT", "ACK BY", "ARRIVE BY", "RESOLVE BY", "BREACHES")
	for _, d := range list {
		t.row(d.GetId(), orDash(d.GetWhistleId()), d.GetDepartment(), d.GetStatus().String(), fmtTime(d.GetDispatchedAt()),
			fmtTime(d.GetDeadlines().GetAckBy()), fmtTime(d.GetDeadlines().GetArriveBy()), fmtTime(d.GetDeadlines().GetResolveBy()),
			orDash(strings.Join(d.GetBreaches(), ",")))
	}
	return t.flush()
}

func printDispatch(w io.Writer, d *responsev1.Dispatch) error {
	t := newTable(w)
	t.row("ID", d.GetId())
	t.row("WHISTLE", d.GetWhistleId())
	t.row("DEPARTMENT", d.GetDepartment()+" ("+orDash(d.GetRole())+")")
	t.row("STATUS", d.GetStatus().String())
	t.row("STREET", d.GetStreetId()+" (district "+d.GetDistrictId()+")")
	t.row("CATEGORY", d.GetCategory())
	t.row("LOCATION", fmtLoc(d.GetLocation()))
	t.row("DISPATCHED AT", fmtTime(d.GetDispatchedAt()))
	t.row("ACK BY", fmtTime(d.GetDeadlines().GetAckBy()))
	t.row("ARRIVE BY", fmtTime(d.GetDeadlines().GetArriveBy()))
	t.row("RESOLVE BY", fmtTime(d.GetDeadlines().GetResolveBy()))
	t.row("ACKNOWLEDGED AT", fmtTime(d.GetAcknowledgedAt()))
	arrived := fmtTime(d.GetArrivedAt())
	switch {
	case d.GetArrivedAt() == nil:
	case d.GetArrivalUnlocated():
		arrived += " (UNLOCATED: no position)"
	default:
		arrived += fmt.Sprintf(" at %s (%.0f m from the whistle", fmtLoc(d.GetArrivalLocation()), d.GetArrivalDistanceM())
		if acc := d.GetArrivalAccuracyM(); acc > 0 {
			arrived += fmt.Sprintf(", ±%.0f m", acc)
		}
		if d.GetArrivalFar() {
			arrived += ", FAR"
		}
		arrived += ")"
	}
	t.row("ARRIVED AT", arrived)
	t.row("RESOLVED AT", fmtTime(d.GetResolvedAt()))
	if s := d.GetResolutionSummary(); s != "" {
		t.row("SUMMARY", s)
	}
	if d.GetReturnedAt() != nil {
		t.row("RETURNED AT", fmtTime(d.GetReturnedAt()))
		t.row("RETURN CODE", returnCode(d))
		t.row("RETURN REASON", d.GetReturnReason())
	}
	t.row("BREACHES", orDash(strings.Join(d.GetBreaches(), ", ")))
	t.row("ON DUTY", onDuty(d.GetOnDuty()))
	return t.flush()
}

// returnCodeNames are the return reason codes (退单原因) in Chinese.
var returnCodeNames = map[responsev1.Dispatch_ReturnCode]string{
	responsev1.Dispatch_NOT_OUR_REMIT:            "不属本部门职责",
	responsev1.Dispatch_WRONG_LOCATION:           "地点有误",
	responsev1.Dispatch_DUPLICATE:                "重复",
	responsev1.Dispatch_NEEDS_ANOTHER_DEPARTMENT: "需其他部门",
}

// returnCode is a returned dispatch's reason code, e.g.
// "NEEDS_ANOTHER_DEPARTMENT 需其他部门 → housing".
func returnCode(d *responsev1.Dispatch) string {
	c := d.GetReturnCode()
	if c == responsev1.Dispatch_RETURN_CODE_UNSPECIFIED {
		return "-"
	}
	out := c.String()
	if name, ok := returnCodeNames[c]; ok {
		out += " " + name
	}
	if dept := d.GetReturnDepartment(); dept != "" {
		out += " → " + dept
	}
	return out
}

// onDuty lists who is on duty for the dispatch's desk now, from the roster:
// "值班长 张三 13800000000; desk-1 李四".
func onDuty(shifts []*responsev1.Shift) string {
	if len(shifts) == 0 {
		return "无人值班 (nobody on the roster now)"
	}
	people := make([]string, 0, len(shifts))
	for _, s := range shifts {
		var parts []string
		for _, p := range []string{s.GetSeat(), s.GetPerson(), s.GetPhone()} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		people = append(people, strings.Join(parts, " "))
	}
	return strings.Join(people, "; ")
}

// escalationNames are the rungs of the ladder, by level.
var escalationNames = []string{"none 未升级", "催办 (desk reminded)", "督办 (district supervisor)", "挂牌督办 (city level)"}

func printClocks(w io.Writer, d *responsev1.Dispatch) error {
	level := fmt.Sprint(d.GetEscalationLevel())
	if l := int(d.GetEscalationLevel()); l >= 0 && l < len(escalationNames) {
		level += " " + escalationNames[l]
	}
	fmt.Fprintf(w, "%s  %s  escalation level %s\n", d.GetId(), d.GetStatus(), level)
	t := newTable(w, "CLOCK", "DUE AT", "ORIGINAL DUE AT", "STATE", "MET AT")
	for _, c := range d.GetClocks() {
		t.row(c.GetClock(), fmtTime(c.GetDueAt()), fmtTime(c.GetOriginalDueAt()),
			strings.TrimPrefix(c.GetState().String(), "STATE_"), fmtTime(c.GetMetAt()))
	}
	return t.flush()
}

func printTimeline(w io.Writer, entries []*feedbackv1.TimelineEntry) error {
	t := newTable(w, "SEQ", "AT", "TYPE", "ACTOR", "DEPARTMENT", "DISPATCH")
	for _, e := range entries {
		actor := "-"
		if a := e.GetActor(); a != nil {
			actor = a.GetRole() + ":" + a.GetId()
		}
		t.row(fmt.Sprint(e.GetSeq()), fmtTime(e.GetAt()), e.GetType(), actor, orDash(e.GetDepartment()), orDash(e.GetDispatchId()))
	}
	return t.flush()
}
