// Package forms renders the printed documents of 街乡吹哨、部门报到 as PDF:
// the dispatch order (派单单), the supervision notice (督办通知书) and the
// monthly governance scorecard (治理成绩单). Each takes names, not codes,
// names its issuing office and date, and ends in signature and seal lines.
// The fonts are embedded in the binary (see fonts/README.md), so rendering
// needs nothing installed on the host.
package forms

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

var (
	//go:embed fonts/DroidSansFallbackFull.ttf
	cjkFont []byte
	//go:embed fonts/DejaVuSans.ttf
	latinFont []byte
)

// The page: A4 portrait, in millimetres.
const (
	pageW, pageH = 210.0, 297.0
	margin       = 20.0
	bodyW        = pageW - 2*margin
)

// Beijing is the forms' time zone (UTC+8, no daylight saving).
var Beijing = time.FixedZone("CST", 8*3600)

// doc is a PDF being written top to bottom. Text mixes two fonts: the CJK
// font has no Latin glyphs, so each run of text takes the font that has it.
type doc struct {
	pdf    *fpdf.Fpdf
	size   float64 // current font size in points
	widths map[widthKey]float64
}

type widthKey struct {
	r    rune
	size float64
}

func newDoc(title string) *doc {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(false, margin)
	p.AddUTF8FontFromBytes("cjk", "", cjkFont)
	p.AddUTF8FontFromBytes("latin", "", latinFont)
	p.SetTitle(title, true)
	p.SetCreator("Whistle 吹哨报到", true)
	p.SetCompression(true)
	d := &doc{pdf: p, widths: map[widthKey]float64{}}
	p.AddPage()
	d.setSize(11)
	return d
}

// setSize sets the font size of what follows.
func (d *doc) setSize(pt float64) { d.size = pt }

// fontOf is the font that draws r: the CJK block and full-width forms in
// the CJK font, the rest in the Latin one.
func fontOf(r rune) string {
	if r >= 0x2E80 {
		return "cjk"
	}
	return "latin"
}

func (d *doc) runeWidth(r rune) float64 {
	k := widthKey{r, d.size}
	if w, ok := d.widths[k]; ok {
		return w
	}
	d.pdf.SetFont(fontOf(r), "", d.size)
	w := d.pdf.GetStringWidth(string(r))
	d.widths[k] = w
	return w
}

func (d *doc) textWidth(s string) float64 {
	var w float64
	for _, r := range s {
		w += d.runeWidth(r)
	}
	return w
}

// noLineStart are the marks a line must not begin with (避头): they stay at
// the end of the line before, even a little past its width.
const noLineStart = "，。、；：？！）」』》〕】,.;:?!)%"

// wrap breaks s into lines no wider than width: at any character (Chinese
// has no spaces), keeping closing punctuation on the line it closes; "\n"
// breaks a line.
func (d *doc) wrap(s string, width float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var line []rune
		var w float64
		for _, r := range para {
			rw := d.runeWidth(r)
			if w+rw > width && len(line) > 0 && !strings.ContainsRune(noLineStart, r) {
				lines = append(lines, string(line))
				line, w = nil, 0
			}
			line = append(line, r)
			w += rw
		}
		lines = append(lines, string(line))
	}
	return lines
}

// drawLine draws s with its top-left at (x, y), one run per font.
func (d *doc) drawLine(x, y, h float64, s string) {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		f := fontOf(rs[i])
		j := i
		for j < len(rs) && fontOf(rs[j]) == f {
			j++
		}
		run := string(rs[i:j])
		d.pdf.SetFont(f, "", d.size)
		w := d.pdf.GetStringWidth(run)
		d.pdf.SetXY(x, y)
		d.pdf.CellFormat(w, h, run, "", 0, "L", false, 0, "")
		x += w
		i = j
	}
}

// lineH is the height of a line of the current size, in millimetres.
func (d *doc) lineH() float64 { return d.size * 0.3528 * 1.55 }

// ensure starts a new page when h more millimetres do not fit on this one.
func (d *doc) ensure(h float64) {
	if d.pdf.GetY()+h > pageH-margin {
		d.pdf.AddPage()
		d.pdf.SetY(margin)
	}
}

// Alignment of a paragraph.
type align int

const (
	left align = iota
	center
	right
)

// para writes s wrapped to the body's width, aligned, and moves below it.
func (d *doc) para(s string, a align) {
	d.paraAt(margin, bodyW, s, a)
}

// paraAt writes s in the column [x, x+width) from the current line down.
func (d *doc) paraAt(x, width float64, s string, a align) {
	h := d.lineH()
	for _, line := range d.wrap(s, width) {
		d.ensure(h)
		lx := x
		switch a {
		case center:
			lx = x + (width-d.textWidth(line))/2
		case right:
			lx = x + width - d.textWidth(line)
		}
		y := d.pdf.GetY()
		d.drawLine(lx, y, h, line)
		d.pdf.SetY(y + h)
	}
}

// gap moves down by mm millimetres.
func (d *doc) gap(mm float64) { d.pdf.SetY(d.pdf.GetY() + mm) }

// rule draws a horizontal line across the body, in the forms' red.
func (d *doc) rule(thick float64) {
	d.pdf.SetDrawColor(183, 28, 28)
	d.pdf.SetLineWidth(thick)
	y := d.pdf.GetY()
	d.pdf.Line(margin, y, pageW-margin, y)
	d.pdf.SetDrawColor(0, 0, 0)
	d.pdf.SetLineWidth(0.2)
}

// heading writes the document's title: large, centred, red.
func (d *doc) heading(title, sub string) {
	d.pdf.SetTextColor(183, 28, 28)
	d.setSize(22)
	d.para(title, center)
	d.pdf.SetTextColor(0, 0, 0)
	if sub != "" {
		d.setSize(10.5)
		d.para(sub, center)
	}
	d.gap(2)
	d.rule(0.8)
	d.gap(4)
	d.setSize(11)
}

// table draws rows under a header, each cell wrapped to its column; the
// header repeats on a new page. Columns of alignRight hold numbers.
func (d *doc) table(widths []float64, aligns []align, header []string, rows [][]string) {
	const pad = 1.5
	h := d.lineH()
	draw := func(cells []string, shade bool) {
		lines := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			lines[i] = d.wrap(c, widths[i]-2*pad)
			n = max(n, len(lines[i]))
		}
		rowH := float64(n)*h + 2*pad
		d.ensure(rowH)
		y := d.pdf.GetY()
		x := margin
		for i, ls := range lines {
			style := "D"
			if shade {
				d.pdf.SetFillColor(245, 240, 240)
				style = "FD"
			}
			d.pdf.Rect(x, y, widths[i], rowH, style)
			for j, l := range ls {
				lx := x + pad
				if aligns[i] == right {
					lx = x + widths[i] - pad - d.textWidth(l)
				} else if aligns[i] == center {
					lx = x + (widths[i]-d.textWidth(l))/2
				}
				d.drawLine(lx, y+pad+float64(j)*h, h, l)
			}
			x += widths[i]
		}
		d.pdf.SetY(y + rowH)
	}
	draw(header, true)
	for _, r := range rows {
		if d.pdf.GetY()+h+3 > pageH-margin {
			d.pdf.AddPage()
			d.pdf.SetY(margin)
			draw(header, true)
		}
		draw(r, false)
	}
}

// fields draws label–value pairs as a two-column table without a header.
func (d *doc) fields(pairs [][2]string) {
	const labelW = 32.0
	rows := make([][]string, len(pairs))
	for i, p := range pairs {
		rows[i] = []string{p[0], p[1]}
	}
	const pad = 1.5
	h := d.lineH()
	for _, r := range rows {
		ls := d.wrap(r[1], bodyW-labelW-2*pad)
		rowH := float64(len(ls))*h + 2*pad
		d.ensure(rowH)
		y := d.pdf.GetY()
		d.pdf.SetFillColor(245, 240, 240)
		d.pdf.Rect(margin, y, labelW, rowH, "FD")
		d.pdf.Rect(margin+labelW, y, bodyW-labelW, rowH, "D")
		d.drawLine(margin+pad, y+pad, h, r[0])
		for j, l := range ls {
			d.drawLine(margin+labelW+pad, y+pad+float64(j)*h, h, l)
		}
		d.pdf.SetY(y + rowH)
	}
}

// issuer ends a document as Chinese official documents do: the issuing
// office and the date at the right, with a ring where the seal goes.
func (d *doc) issuer(office string, date time.Time) {
	d.setSize(12)
	d.ensure(40)
	d.gap(8)
	y := d.pdf.GetY()
	// The seal's place: a dashed ring over the office's name.
	d.pdf.SetDrawColor(183, 28, 28)
	d.pdf.SetDashPattern([]float64{1.2, 1.2}, 0)
	d.pdf.Circle(pageW-margin-30, y+8, 17, "D")
	d.pdf.SetDashPattern(nil, 0)
	d.pdf.SetDrawColor(0, 0, 0)
	d.pdf.SetTextColor(183, 28, 28)
	d.setSize(9)
	d.paraAt(pageW-margin-60, 60, "（盖章）", center)
	d.pdf.SetTextColor(0, 0, 0)
	d.setSize(12)
	d.pdf.SetY(y + 12)
	d.para(office, right)
	d.para(ChineseDate(date), right)
	d.gap(4)
	d.setSize(11)
}

// signLines writes lines to sign on, e.g. "签收人（签字）：" followed by a blank.
func (d *doc) signLines(labels ...string) {
	h := d.lineH() + 5
	for _, l := range labels {
		d.ensure(h)
		y := d.pdf.GetY() + 5
		d.drawLine(margin, y, d.lineH(), l)
		x := margin + d.textWidth(l) + 1
		d.pdf.Line(x, y+d.lineH()-1, min(x+55, pageW-margin), y+d.lineH()-1)
		d.pdf.SetY(y + d.lineH())
	}
}

// footer writes small grey print at the bottom of the current page.
func (d *doc) footer(s string) {
	d.setSize(8)
	d.pdf.SetTextColor(110, 110, 110)
	d.drawLine(margin+(bodyW-d.textWidth(s))/2, pageH-margin+4, d.lineH(), s)
	d.pdf.SetTextColor(0, 0, 0)
}

// bytes is the finished PDF.
func (d *doc) bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("write pdf: %w", err)
	}
	return b.Bytes(), nil
}

// ChineseDate is a date as Chinese documents write it: 2026年12月7日.
func ChineseDate(t time.Time) string {
	t = t.In(Beijing)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// Minute is a time to the minute in Beijing time; "" for the zero time.
func Minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Beijing).Format("2006-01-02 15:04")
}
