package channels

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Text is a message as every channel says it: a title, a body in plain
// text (SMS templates take Label, Dispatch and Count as their parameters)
// and the same in Markdown for the robots.
type Text struct {
	// Label names the event: 新派单, 催办·签收 (a clock's warning), 超时·签收
	// (its breach), 督办 or 挂牌督办 (an escalation), or 汇总 for a digest.
	Label    string
	Dispatch string
	// Count is how many events the message stands for (more than 1 for a digest).
	Count    int
	Title    string
	Plain    string
	Markdown string
}

// labels are the events' names as people on duty know them.
var labels = map[string]string{
	"dispatch.created": "新派单",
	"sla.warning":      "催办",
	"sla.breached":     "超时",
	"sla.escalated":    "督办",
}

var clocks = map[string]string{"ack": "签收", "arrive": "到场", "resolve": "办结"}

// digestBody is what a webhook digest's body says (notify.Digest).
type digestBody struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
	Items []struct {
		EventName  string `json:"event_name"`
		DispatchID string `json:"dispatch_id"`
	} `json:"items"`
	DispatchIDs []string `json:"dispatch_ids"`
}

// Render reads a delivery's body — an event as protojson, or a digest — into
// the message people get.
func Render(eventName string, body []byte) (Text, error) {
	if eventName == "webhook.digest" {
		var d digestBody
		if err := json.Unmarshal(body, &d); err != nil {
			return Text{}, fmt.Errorf("read digest: %w", err)
		}
		return renderDigest(d), nil
	}
	var ev eventsv1.Event
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &ev); err != nil {
		return Text{}, fmt.Errorf("read event: %w", err)
	}
	return renderEvent(&ev), nil
}

func renderEvent(ev *eventsv1.Event) Text {
	name := events.Name(ev)
	t := Text{Label: labels[name], Dispatch: ev.GetDispatchId(), Count: 1}
	if t.Label == "" {
		t.Label = name
	}
	detail := ""
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SlaWarning:
		t.Label += "·" + clocks[p.SlaWarning.GetClock()]
		detail = fmt.Sprintf("%s时限将至（%s）", clocks[p.SlaWarning.GetClock()], shanghai(p.SlaWarning.GetDueAt().AsTime()))
	case *eventsv1.Event_SlaBreached:
		t.Label += "·" + clocks[p.SlaBreached.GetClock()]
		detail = fmt.Sprintf("%s已超时（时限 %s）", clocks[p.SlaBreached.GetClock()], shanghai(p.SlaBreached.GetDueAt().AsTime()))
	case *eventsv1.Event_SlaEscalated:
		if l := levels[p.SlaEscalated.GetEscalationLevel()]; l != "" {
			t.Label = l
		}
		detail = fmt.Sprintf("已升级为%s", t.Label)
		if r := p.SlaEscalated.GetReason(); r != "" {
			detail += "：" + r
		}
	case *eventsv1.Event_DispatchCreated:
		detail = "请及时签收"
	}
	t.Title = fmt.Sprintf("【%s】派单 %s", t.Label, t.Dispatch)
	where := ev.GetDepartment() + " · " + ev.GetDistrictId()
	t.Plain = fmt.Sprintf("%s（%s）%s", t.Title, where, detail)
	t.Markdown = fmt.Sprintf("### %s\n- 部门：%s\n- 区：%s\n- %s", t.Title, ev.GetDepartment(), ev.GetDistrictId(), detail)
	return t
}

var levels = map[int32]string{1: "催办", 2: "督办", 3: "挂牌督办"}

// renderDigest sums a storm up: how many events of each kind, and the
// dispatches they were about.
func renderDigest(d digestBody) Text {
	counts := map[string]int{}
	var order []string
	for _, it := range d.Items {
		l := labels[it.EventName]
		if l == "" {
			l = it.EventName
		}
		if counts[l] == 0 {
			order = append(order, l)
		}
		counts[l]++
	}
	parts := make([]string, len(order))
	for i, l := range order {
		parts[i] = fmt.Sprintf("%s %d 条", l, counts[l])
	}
	first := ""
	if len(d.DispatchIDs) > 0 {
		first = d.DispatchIDs[0]
	}
	shown := d.DispatchIDs
	if len(shown) > 10 {
		shown = shown[:10]
	}
	t := Text{Label: "汇总", Dispatch: first, Count: d.Count}
	t.Title = fmt.Sprintf("【汇总】%d 条提醒", d.Count)
	t.Plain = fmt.Sprintf("%s：%s；派单 %s", t.Title, strings.Join(parts, "、"), strings.Join(shown, "、"))
	if len(d.DispatchIDs) > len(shown) {
		t.Plain += fmt.Sprintf(" 等 %d 件", len(d.DispatchIDs))
	}
	t.Markdown = "### " + t.Title + "\n- " + strings.Join(parts, "\n- ") + "\n- 派单：" + strings.Join(shown, "、")
	return t
}

// beijing is the time zone messages are written in.
var beijing = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

func shanghai(t time.Time) string { return t.In(beijing).Format("01-02 15:04") }
