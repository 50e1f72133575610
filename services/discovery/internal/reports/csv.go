package reports

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chuishao/whistle/platform/invalid"
)

// CSVColumns are the columns of a 12345 ticket CSV, in any order after the
// header; address and received_at may be empty, and due_at when the
// optional column TypeColumn names the ticket's type.
var CSVColumns = []string{"external_number", "street_id", "category", "description", "lat", "lng", "address", "received_at", "due_at"}

// TypeColumn is the optional column of the ticket's type (code or Chinese name).
const TypeColumn = "ticket_type"

// MaxCSVRows bounds the rows of one import, good or bad.
const MaxCSVRows = 50000

// MaxRowErrors bounds the bad-row problems one import lists; the rest are
// counted (ParsedCSV.Omitted).
const MaxRowErrors = 1000

// Ticket is one 12345 ticket.
type Ticket struct {
	// Line is the ticket's line in its CSV (0 for a single import).
	Line           int
	ExternalNumber string
	Report         New
	ReceivedAt     time.Time
	DueAt          time.Time
	// Type is the hotline's ticket type as given (checked against the
	// configured limits when imported).
	Type string
}

// RowError is one bad CSV row.
type RowError struct {
	Line   int
	Field  string
	Reason string
}

// RowErrorsOf are the field errors of f as errors of CSV line line.
func RowErrorsOf(line int, f *invalid.Violations) []RowError {
	var out []RowError
	for _, fe := range f.List() {
		out = append(out, RowError{Line: line, Field: fe.Field, Reason: fe.Reason})
	}
	return out
}

// ValidateTicket checks a ticket's own fields (the report's, the number and
// the time limit); whether its street and category exist is asked elsewhere.
func ValidateTicket(t Ticket, f *invalid.Violations) {
	switch n := utf8.RuneCountInString(t.ExternalNumber); {
	case strings.TrimSpace(t.ExternalNumber) == "":
		f.Add("external_number", "is required")
	case n > MaxExternalNumber:
		f.Add("external_number", "must be at most 64 characters")
	}
	r := t.Report
	if !r.HasLocation {
		// The hotline often has only an address: the ticket is placed at its
		// street's centroid when imported.
		r.HasLocation = true
	}
	r.Validate(f)
	switch {
	case t.DueAt.IsZero() && strings.TrimSpace(t.Type) == "":
		f.Add("due_at", "is required (the statutory time limit) unless ticket_type is given")
	case !t.ReceivedAt.IsZero() && !t.DueAt.After(t.ReceivedAt):
		f.Add("due_at", "must be after received_at")
	}
}

// ParsedCSV is a ticket CSV read by ParseCSV.
type ParsedCSV struct {
	// Tickets are the good rows.
	Tickets []Ticket
	// Errors are the first MaxRowErrors problems of the bad rows, by line.
	Errors []RowError
	// Omitted counts the problems beyond MaxRowErrors, not listed.
	Omitted int
	// Rows counts every row after the header, good or bad (not empty lines).
	Rows int
}

// add records problems of rows read in order, listing at most MaxRowErrors.
func (p *ParsedCSV) add(rows ...RowError) {
	room := min(max(0, MaxRowErrors-len(p.Errors)), len(rows))
	p.Errors = append(p.Errors, rows[:room]...)
	p.Omitted += len(rows) - room
}

// Merge adds problems found after parsing (of any lines) and keeps the
// first MaxRowErrors by line. The problems add dropped come after at least
// MaxRowErrors listed ones, so they would be dropped here too.
func (p *ParsedCSV) Merge(rows []RowError) {
	p.Errors = append(p.Errors, rows...)
	slices.SortStableFunc(p.Errors, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
	if n := len(p.Errors) - MaxRowErrors; n > 0 {
		p.Omitted += n
		p.Errors = p.Errors[:MaxRowErrors]
	}
}

// checkEvery is how many rows ParseCSV reads between looks at its context.
const checkEvery = 256

// ParseCSV reads a ticket CSV: every good row as a Ticket, every bad row as
// RowErrors naming its line (the header is line 1). A row repeating the
// street and external number of an earlier row is an error; an empty line is
// skipped.
// Every row, good or bad, counts against MaxCSVRows; ParseCSV stops when ctx
// is done.
func ParseCSV(ctx context.Context, r io.Reader) (*ParsedCSV, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the CSV is empty: a header row is required")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range CSVColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("header: column %s is missing (want %s)", c, strings.Join(CSVColumns, ","))
		}
	}
	out := &ParsedCSV{}
	type number struct{ street, number string } // a ticket number is unique within its street
	seen := map[number]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if out.Rows++; out.Rows > MaxCSVRows {
			return nil, fmt.Errorf("more than %d rows: split the file", MaxCSVRows)
		}
		if out.Rows%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			out.add(RowError{Line: perr.StartLine, Field: "row", Reason: perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", out.Rows, err)
		}
		line, _ := cr.FieldPos(0) // only a record read without error has positions
		if len(rec) != len(header) {
			out.add(RowError{Line: line, Field: "row", Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		var f invalid.Violations
		t := Ticket{Line: line, ExternalNumber: get("external_number"), Report: New{
			StreetID: get("street_id"), Category: get("category"), Description: get("description"), Address: get("address"),
		}}
		t.Report.Lat, t.Report.Lng, t.Report.HasLocation = parseLatLng(&f, get("lat"), get("lng"))
		t.ReceivedAt = parseTime(&f, "received_at", get("received_at"))
		t.DueAt = parseTime(&f, "due_at", get("due_at"))
		if i, ok := col[TypeColumn]; ok {
			t.Type = strings.TrimSpace(rec[i])
		}
		ValidateTicket(t, &f)
		key := number{t.Report.StreetID, t.ExternalNumber}
		if first, dup := seen[key]; dup && t.ExternalNumber != "" {
			f.Add("external_number", fmt.Sprintf("repeats line %d", first))
		}
		if rows := RowErrorsOf(line, &f); len(rows) > 0 {
			out.add(rows...)
			continue
		}
		seen[key] = line
		out.Tickets = append(out.Tickets, t)
	}
	return out, nil
}

func parseLatLng(f *invalid.Violations, lat, lng string) (float64, float64, bool) {
	if lat == "" && lng == "" {
		return 0, 0, false
	}
	la, err1 := strconv.ParseFloat(lat, 64)
	ln, err2 := strconv.ParseFloat(lng, 64)
	if err1 != nil {
		f.Add("lat", "is not a number")
	}
	if err2 != nil {
		f.Add("lng", "is not a number")
	}
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return la, ln, true
}

// beijing is UTC+8 (no DST since 1991): a time without offset is Beijing time.
var beijing = time.FixedZone("CST", 8*3600)

func parseTime(f *invalid.Violations, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, beijing); err == nil {
			return t
		}
	}
	f.Add(field, "is not a time (RFC 3339 or 2006-01-02 15:04:05, Beijing time)")
	return time.Time{}
}
