package forms

import (
	"fmt"
	"strings"
	"time"
)

// Dispatch is what the dispatch forms print of one dispatch and its
// whistle, every code already turned into its name.
type Dispatch struct {
	ID, WhistleID string
	// District, Street, Category and Department are names (东城区,
	// 东华门街道, 噪声扰民, 城管).
	District, Street, Category, Department string
	// Role is 主办 (lead) or 协办 (cooperating).
	Role                       string
	Title, Description         string
	Address, Urgency, Status   string
	RaisedAt, DispatchedAt     time.Time
	AckBy, ArriveBy, ResolveBy time.Time
	AcknowledgedAt, ArrivedAt  time.Time
	// Breached are the steps whose deadline passed (签收, 到场, 办结).
	Breached []string
	// EscalationLevel: 1 催办, 2 督办, 3 挂牌督办.
	EscalationLevel int
}

// StreetOffice is the office that issues a dispatch order: the street
// (township) office that blew the whistle.
func StreetOffice(district, street string) string {
	return "北京市" + district + street + "办事处"
}

// SupervisionOffice is the office that issues supervision notices and the
// monthly scorecard of a district.
func SupervisionOffice(district string) string {
	return "北京市" + district + "人民政府督查室"
}

// EscalationName is the name of an escalation level; "" for none.
func EscalationName(level int) string {
	switch {
	case level >= 3:
		return "挂牌督办"
	case level == 2:
		return "督办"
	case level == 1:
		return "催办"
	}
	return ""
}

// Order renders the dispatch order (派单单): what is asked of the
// department, where, by when, to be signed for on receipt and on arrival.
// now dates the print.
func Order(d Dispatch, now time.Time) ([]byte, error) {
	doc := newDoc("派单单 " + d.ID)
	doc.heading("派 单 单", "街乡吹哨 · 部门报到")
	doc.setSize(10)
	doc.para("编号："+d.ID, right)
	doc.gap(2)
	doc.setSize(11)
	doc.fields([][2]string{
		{"承办部门", d.District + d.Department + "（" + d.Role + "）"},
		{"吹哨街道", d.District + d.Street},
		{"问题类别", d.Category + "　紧急程度：" + d.Urgency},
		{"问题标题", d.Title},
		{"问题地点", or(d.Address, "—")},
		{"问题描述", d.Description},
		{"吹哨时间", Minute(d.RaisedAt)},
		{"派单时间", Minute(d.DispatchedAt)},
		{"时限要求", deadlines(d)},
		{"当前状态", statusLine(d)},
	})
	doc.gap(4)
	doc.para("请承办部门按时限签收、到场报到并办结，办理结果通过吹哨报到系统反馈吹哨街道。", left)
	doc.signLines("派单人（签字）：", "承办部门签收人（签字）：", "签收时间：", "到场处置人（签字）：", "到场时间：")
	doc.issuer(StreetOffice(d.District, d.Street), d.DispatchedAt)
	doc.footer("吹哨报到系统 " + Minute(now) + " 打印 · 哨单 " + d.WhistleID)
	return doc.bytes()
}

// Notice renders the supervision notice (督办通知书) of a dispatch under
// 督办 or 挂牌督办: what was asked, which deadlines passed, what the
// department must do now; with a receipt to sign and return. now dates it.
func Notice(d Dispatch, now time.Time) ([]byte, error) {
	kind := EscalationName(d.EscalationLevel)
	doc := newDoc(kind + "通知书 " + d.ID)
	doc.heading(kind+"通知书", "街乡吹哨 · 部门报到")
	doc.setSize(10)
	doc.para("编号："+d.ID, right)
	doc.gap(3)
	doc.setSize(12)
	doc.para(d.District+d.Department+"：", left)
	doc.gap(1)
	what := d.Category
	if d.Address != "" {
		what += "，" + d.Address
	}
	asked := fmt.Sprintf("　　%s，%s就“%s”（%s）吹哨，%s派你单位%s。按照“街乡吹哨、部门报到”工作要求，你单位应于%s前签收、%s前到场报到、%s前办结。",
		Minute(d.RaisedAt), d.District+d.Street, d.Title, what, Minute(d.DispatchedAt), d.Role,
		Minute(d.AckBy), Minute(d.ArriveBy), Minute(d.ResolveBy))
	doc.para(asked, left)
	found := fmt.Sprintf("　　经核查，截至%s，该派单%s环节已超过时限（当前状态：%s），现予以%s。",
		Minute(now), strings.Join(d.Breached, "、"), statusLine(d), kind)
	doc.para(found, left)
	by := "接到本通知后24小时内"
	if d.ResolveBy.After(now) {
		by = Minute(d.ResolveBy) + "前"
	}
	doc.para("　　请你单位接到本通知后立即组织力量到场处置，于"+by+"办结，并将办理结果书面报送"+SupervisionOffice(d.District)+
		"。逾期未办结的，纳入月度治理成绩单考核并予以通报。", left)
	doc.gap(2)
	doc.para("　　特此通知。", left)
	doc.signLines("签发人（签字）：")
	doc.issuer(SupervisionOffice(d.District), now)
	doc.setSize(10)
	doc.para("- - - - - - - - - - - - - - - - - - 回　执 - - - - - - - - - - - - - - - - - -", center)
	doc.setSize(11)
	doc.para("派单编号："+d.ID+"　承办单位："+d.District+d.Department, left)
	doc.signLines("签收人（签字）：", "签收时间：", "承办单位（盖章）：")
	doc.footer("吹哨报到系统 " + Minute(now) + " 打印 · 哨单 " + d.WhistleID)
	return doc.bytes()
}

func deadlines(d Dispatch) string {
	return "签收：" + Minute(d.AckBy) + " 前\n到场报到：" + Minute(d.ArriveBy) + " 前\n办结：" + Minute(d.ResolveBy) + " 前"
}

// statusLine is the dispatch's state with its times and breaches.
func statusLine(d Dispatch) string {
	s := d.Status
	if !d.AcknowledgedAt.IsZero() {
		s += "；" + Minute(d.AcknowledgedAt) + " 签收"
	}
	if !d.ArrivedAt.IsZero() {
		s += "；" + Minute(d.ArrivedAt) + " 到场"
	}
	if len(d.Breached) > 0 {
		s += "；超时：" + strings.Join(d.Breached, "、")
	}
	if n := EscalationName(d.EscalationLevel); n != "" {
		s += "；已" + n
	}
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
