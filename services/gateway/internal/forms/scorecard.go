package forms

import (
	"fmt"
	"time"
)

// Line is one department's or street's 三率 for the month, by name.
type Line struct {
	Rank                                        int
	Name                                        string
	Dispatched, Returned                        int64
	Response, Arrival, Resolution, Satisfaction float64
	// Breaches by the highest escalation reached: 催办, 督办, 挂牌督办.
	Breaches  [3]int64
	Composite float64
}

// Scorecard is a district's monthly governance scorecard (治理成绩单): the
// whole district's, or one department's or street's (Unit set).
type Scorecard struct {
	// District is the district's name.
	District string
	// Month is any time in the month, in Beijing time.
	Month time.Time
	// Total is the district's line (Rank and Composite unused).
	Total Line
	// Departments and Streets are ranked, best first.
	Departments, Streets []Line
	// Unit, when set, is the department or street the scorecard is of:
	// its line comes first, with the district's beside it. UnitIsStreet
	// tells which list it ranks in.
	Unit         string
	UnitIsStreet bool
	// Weights names the composite's weights, e.g. "响应 10 / 到场 0 / 解决 45 / 满意 45".
	Weights string
}

func pct(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

// MonthScorecard renders the scorecard; now dates it.
func MonthScorecard(s Scorecard, now time.Time) ([]byte, error) {
	first := time.Date(s.Month.In(Beijing).Year(), s.Month.In(Beijing).Month(), 1, 0, 0, 0, 0, Beijing)
	last := first.AddDate(0, 1, -1)
	who := s.District
	if s.Unit != "" {
		who += s.Unit
	}
	doc := newDoc(who + " 治理成绩单 " + first.Format("2006-01"))
	doc.heading("治理成绩单", fmt.Sprintf("%s · %d年%d月 · 统计期 %s 至 %s（北京时间）",
		who, first.Year(), first.Month(), first.Format("2006-01-02"), last.Format("2006-01-02")))
	header := []string{"名次", "单位", "派单", "响应率", "到场及时率", "解决率", "满意率", "退单", "超时（催办/督办/挂牌）", "综合得分"}
	widths := []float64{11, 34, 12, 16, 19, 15, 15, 11, 24, 13}
	aligns := []align{center, left, right, right, right, right, right, right, center, right}
	row := func(l Line) []string {
		rank := ""
		if l.Rank > 0 {
			rank = fmt.Sprint(l.Rank)
		}
		return []string{rank, l.Name, fmt.Sprint(l.Dispatched), pct(l.Response), pct(l.Arrival), pct(l.Resolution), pct(l.Satisfaction),
			fmt.Sprint(l.Returned), fmt.Sprintf("%d/%d/%d", l.Breaches[0], l.Breaches[1], l.Breaches[2]), fmt.Sprintf("%.1f", l.Composite)}
	}
	total := s.Total
	total.Name = s.District + "合计"
	totalRow := row(total)
	totalRow[len(totalRow)-1] = ""
	if s.Unit != "" {
		list, kind := s.Departments, "部门"
		if s.UnitIsStreet {
			list, kind = s.Streets, "街道（乡镇）"
		}
		unit := Line{Name: s.Unit}
		for _, l := range list {
			if l.Name == s.Unit {
				unit = l
			}
		}
		doc.setSize(12)
		doc.para("被考核单位："+s.Unit, left)
		if unit.Rank > 0 {
			doc.para(fmt.Sprintf("本月综合得分 %.1f，在全区 %d 个%s中排名第 %d。", unit.Composite, len(list), kind, unit.Rank), left)
		} else {
			doc.para("本月无派单，不参与排名。", left)
		}
		doc.gap(3)
		doc.setSize(9)
		doc.table(widths, aligns, header, [][]string{row(unit), totalRow})
	} else {
		doc.setSize(12)
		doc.para("一、部门排名", left)
		doc.setSize(9)
		doc.table(widths, aligns, header, append(rows(s.Departments, row, "本月无派单"), totalRow))
		doc.gap(4)
		doc.setSize(12)
		doc.para("二、街道（乡镇）排名", left)
		doc.setSize(9)
		doc.table(widths, aligns, header, rows(s.Streets, row, "本月无派单"))
	}
	doc.gap(3)
	doc.setSize(8.5)
	doc.para("口径：按派单时间统计，已撤销的派单不计。响应率 = 按时签收（或按时退单）/ 派单；到场及时率 = 30 分钟内到场 /（派单 − 采纳的退单）；"+
		"解决率 = 办结且未被重新打开 /（派单 − 采纳的退单）；满意率 = 评 4–5 分 / 已评价。综合得分权重："+s.Weights+"。经督查采纳的申诉对应时限不计入得分。", left)
	doc.setSize(11)
	if s.Unit != "" {
		doc.signLines("审核人（签字）：", "签发人（签字）：", "被考核单位负责人（签字）：")
	} else {
		doc.signLines("审核人（签字）：", "签发人（签字）：")
	}
	doc.issuer(SupervisionOffice(s.District), now)
	doc.footer("吹哨报到系统 " + Minute(now) + " 生成")
	return doc.bytes()
}

func rows(ls []Line, row func(Line) []string, empty string) [][]string {
	out := make([][]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, row(l))
	}
	if len(out) == 0 {
		out = append(out, []string{"", empty, "", "", "", "", "", "", "", ""})
	}
	return out
}
