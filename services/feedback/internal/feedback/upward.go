package feedback

import (
	"fmt"
	"strings"
	"time"
)

// DispatchStory is what the upward report tells of one dispatch.
type DispatchStory struct {
	DispatchID, WhistleID, Status                                   string
	Department                                                      string
	Round                                                           int
	DispatchedAt, AcknowledgedAt, ArrivedAt, ResolvedAt, ReturnedAt time.Time
	ArrivedOnTime                                                   bool
	Breaches                                                        []string
	EscalationLevel                                                 int
}

// WhistleStory is what the upward report tells of a whistle.
type WhistleStory struct {
	DistrictID, StreetID, Category, Title string
	// StreetName and CategoryName are routing's names of the codes; the
	// report prints the codes where they are empty.
	StreetName, CategoryName string
	// RaisedAt and ClosedAt are zero when the timeline holds no raising, or
	// no closing that stands.
	RaisedAt     time.Time
	Dispatches   []DispatchStory
	Reopened     int
	Satisfaction int
	Comment      string
	ClosedAt     time.Time
	// MergedInto is the whistle this one was merged into, whose dispatches
	// and outcome the story goes on with; empty when it was not merged.
	MergedInto string
}

var (
	escalationNames = map[int]string{1: "催办", 2: "督办", 3: "挂牌督办"}
	// stepNames are the SLA clocks' Chinese names.
	stepNames = map[string]string{"ack": "签收", "arrive": "到场", "resolve": "办结"}
)

// UpwardText renders s as a few lines of plain Chinese for 向上级报告:
// what happened, who came when, the result and the rating. Times are
// Beijing times.
func UpwardText(s WhistleStory) string {
	at := func(t time.Time) string { return t.In(ReportZone).Format("01-02 15:04") }
	var b strings.Builder
	where := "街道 " + s.StreetID + " "
	if s.StreetName != "" {
		where = DistrictName(s.DistrictID) + s.StreetName
	}
	category := s.Category
	if s.CategoryName != "" {
		category = s.CategoryName
	}
	title := s.Title
	if title == "" {
		title = category
	}
	fmt.Fprintf(&b, "%s %s吹哨：%s（%s）。\n", at(s.RaisedAt), where, title, category)
	if s.MergedInto != "" {
		fmt.Fprintf(&b, "已合并至吹哨 %s，共享其派单与处置。\n", s.MergedInto)
	}
	for _, d := range s.Dispatches {
		fmt.Fprintf(&b, "%s", DepartmentName(d.Department))
		if d.Round > 1 {
			fmt.Fprintf(&b, "（第%d轮）", d.Round)
		}
		fmt.Fprintf(&b, " %s 派单", at(d.DispatchedAt))
		if !d.AcknowledgedAt.IsZero() {
			fmt.Fprintf(&b, "，%s 签收", at(d.AcknowledgedAt))
		}
		if !d.ArrivedAt.IsZero() {
			verdict := "按时"
			if !d.ArrivedOnTime {
				verdict = "超时"
			}
			fmt.Fprintf(&b, "，%s 到场（%s）", at(d.ArrivedAt), verdict)
		}
		if !d.ResolvedAt.IsZero() {
			fmt.Fprintf(&b, "，%s 办结", at(d.ResolvedAt))
		}
		if !d.ReturnedAt.IsZero() {
			fmt.Fprintf(&b, "，%s 退单", at(d.ReturnedAt))
		}
		if len(d.Breaches) > 0 {
			steps := make([]string, len(d.Breaches))
			for i, c := range d.Breaches {
				if steps[i] = stepNames[c]; steps[i] == "" {
					steps[i] = c
				}
			}
			fmt.Fprintf(&b, "；超时：%s", strings.Join(steps, "、"))
			if n, ok := escalationNames[d.EscalationLevel]; ok {
				fmt.Fprintf(&b, "，已%s", n)
			}
		}
		b.WriteString("。\n")
	}
	if s.Reopened > 0 {
		fmt.Fprintf(&b, "街道反馈未解决，重新打开 %d 次。\n", s.Reopened)
	}
	switch {
	case s.Satisfaction > 0:
		fmt.Fprintf(&b, "%s 街道回访评价 %d 分", at(s.ClosedAt), s.Satisfaction)
		if s.Comment != "" {
			fmt.Fprintf(&b, "：%s", s.Comment)
		}
		b.WriteString("。")
	case !s.ClosedAt.IsZero():
		fmt.Fprintf(&b, "%s 办结归档，未评价。", at(s.ClosedAt))
	default:
		b.WriteString("尚未回访评价。")
	}
	return b.String()
}
