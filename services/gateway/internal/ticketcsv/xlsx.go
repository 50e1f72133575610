package ticketcsv

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// XLSXType is the media type of an .xlsx workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Limits of a workbook, beside the body's MaxBytes.
const (
	// MaxUnzippedBytes bounds what a workbook unpacks to, all parts together;
	// it is read in memory (the gateway's root filesystem is read-only), so
	// a small archive cannot expand into the gateway's whole memory.
	MaxUnzippedBytes = 48 << 20
	// MaxRows bounds the rows after the header, as intake does for a CSV.
	MaxRows = 50000
	// MaxCellChars is the most characters a cell holds, Excel's own limit.
	MaxCellChars = 32767
	// MaxWorkbooksAtOnce bounds the workbooks one gateway unpacks at a time,
	// so that its memory stays bounded whoever sends them.
	MaxWorkbooksAtOnce = 2
)

// timeColumns hold times (ImportTicketsCsvRequest): a cell there that is a
// number is an Excel date serial, written out as Beijing wall-clock time.
var timeColumns = map[string]bool{"received_at": true, "due_at": true}

// Sheet is a workbook's first sheet as CSV text.
type Sheet struct {
	CSV string
	// rowOfLine maps the line on which a CSV record starts to its sheet row,
	// where they differ (a cell with line breaks takes several CSV lines).
	rowOfLine map[int]int
}

// Row is the sheet row of the CSV record starting on line.
func (s *Sheet) Row(line int) int {
	if r, ok := s.rowOfLine[line]; ok {
		return r
	}
	return line
}

// FromXLSX reads the first sheet of an .xlsx workbook into CSV text, one
// record per sheet row, the header row first: intake then reads it as it
// reads a CSV, matching the header by the same column names. Cells are taken
// as stored, not as formatted (a latitude shown as 39.91 is 39.912345).
func FromXLSX(body []byte) (*Sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(body), excelize.Options{
		UnzipSizeLimit: MaxUnzippedBytes, UnzipXMLSizeLimit: MaxUnzippedBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("not a readable .xlsx workbook: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("the workbook has no sheet")
	}
	name := sheets[0]
	rows, err := f.Rows(name)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	defer rows.Close()

	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	s := &Sheet{rowOfLine: map[int]int{}}
	var header []string
	line := 1 // where the next CSV record starts
	for row := 1; rows.Next(); row++ {
		if row > MaxRows+1 {
			return nil, fmt.Errorf("sheet %q has more than %d rows after the header: split the file", name, MaxRows)
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("sheet %q, row %d: %w", name, row, err)
		}
		if header == nil {
			if len(cells) == 0 {
				return nil, fmt.Errorf("sheet %q: row 1 is empty: the header row (external_number,street_id,...) comes first", name)
			}
			header = cells
		}
		rec, err := record(header, cells, row)
		if err != nil {
			return nil, fmt.Errorf("sheet %q, %w", name, err)
		}
		if line != row {
			s.rowOfLine[line] = row
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("write row %d as CSV: %w", row, err)
		}
		line += 1 + strings.Count(strings.Join(rec, ""), "\n")
		if buf.Len() > MaxBytes {
			return nil, fmt.Errorf("sheet %q is more than %d bytes as CSV by row %d: split the file", name, MaxBytes, row)
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	if header == nil {
		return nil, fmt.Errorf("sheet %q is empty: the header row (external_number,street_id,...) comes first", name)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write CSV: %w", err)
	}
	s.CSV = buf.String()
	return s, nil
}

// record is a sheet row as a CSV record: as wide as the header (a sheet row
// stops at its last filled cell), too-long cells refused, date serials in
// time columns written as times. An empty row stays an empty record.
func record(header, cells []string, row int) ([]string, error) {
	if len(cells) == 0 {
		return nil, nil
	}
	rec := make([]string, max(len(header), len(cells)))
	copy(rec, cells)
	for i, c := range rec {
		if n := utf8.RuneCountInString(c); n > MaxCellChars {
			col, _ := excelize.ColumnNumberToName(i + 1)
			return nil, fmt.Errorf("row %d, column %s%s: %d characters, a cell holds at most %d", row, col, columnName(header, i), n, MaxCellChars)
		}
		if i < len(header) && timeColumns[strings.TrimSpace(header[i])] {
			rec[i] = dateSerial(c)
		}
	}
	return rec, nil
}

func columnName(header []string, i int) string {
	if i < len(header) && header[i] != "" {
		return " (" + header[i] + ")"
	}
	return ""
}

// dateSerial writes an Excel date serial (days since 1899-12-30, the time of
// day as a fraction) as "2006-01-02 15:04:05", to the nearest second; any
// other text is left for intake to read.
func dateSerial(v string) string {
	serial, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || serial <= 0 || math.IsInf(serial, 0) || math.IsNaN(serial) {
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return v
	}
	return t.Round(time.Second).Format(time.DateTime)
}
