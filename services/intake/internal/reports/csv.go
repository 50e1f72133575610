package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// CSVColumns are the columns of a 12345 ticket CSV, in any order after the
// header; address and received_at may be empty.
var CSVColumns = []string{"external_number", "street_id", "category", "description", "lat", "lng", "address", "received_at", "due_at"}

// MaxCSVRows bounds one import.
const MaxCSVRows = 50000

// Ticket is one 12345 ticket.
type Ticket struct {
	// Line is the ticket's line in its CSV (0 for a single import).
	Line           int
	ExternalNumber string
	Report         New
	ReceivedAt     time.Time
	DueAt          time.Time
}

// RowError is one bad CSV row.
type RowError struct {
	Line   int
	Field  string
	Reason string
}

// RowErrorsOf are the field errors of f as errors of CSV line line.
func RowErrorsOf(line int, f *intake.Fields) []RowError {
	var out []RowError
	for _, fe := range f.List() {
		out = append(out, RowError{Line: line, Field: fe.Field, Reason: fe.Reason})
	}
	return out
}

// ValidateTicket checks a ticket's own fields (the report's, the number and
// the time limit); whether its street and category exist is asked elsewhere.
func ValidateTicket(t Ticket, f *intake.Fields) {
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
	case t.DueAt.IsZero():
		f.Add("due_at", "is required (the statutory time limit)")
	case !t.ReceivedAt.IsZero() && !t.DueAt.After(t.ReceivedAt):
		f.Add("due_at", "must be after received_at")
	}
}

// ParseCSV reads a ticket CSV: every good row as a Ticket, every bad row as
// RowErrors naming its line (the header is line 1). A row repeating an
// external number of an earlier row is an error; an empty line is skipped.
func ParseCSV(r io.Reader) ([]Ticket, []RowError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the CSV is empty: a header row is required")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range CSVColumns {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("header: column %s is missing (want %s)", c, strings.Join(CSVColumns, ","))
		}
	}
	var tickets []Ticket
	var bad []RowError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			bad = append(bad, RowError{Line: perr.StartLine, Field: "row", Reason: perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(tickets)+len(bad) >= MaxCSVRows {
			return nil, nil, fmt.Errorf("more than %d rows: split the file", MaxCSVRows)
		}
		if len(rec) != len(header) {
			bad = append(bad, RowError{Line: line, Field: "row", Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		var f intake.Fields
		t := Ticket{Line: line, ExternalNumber: get("external_number"), Report: New{
			StreetID: get("street_id"), Category: get("category"), Description: get("description"), Address: get("address"),
		}}
		t.Report.Lat, t.Report.Lng, t.Report.HasLocation = parseLatLng(&f, get("lat"), get("lng"))
		t.ReceivedAt = parseTime(&f, "received_at", get("received_at"))
		t.DueAt = parseTime(&f, "due_at", get("due_at"))
		ValidateTicket(t, &f)
		if first, dup := seen[t.ExternalNumber]; dup && t.ExternalNumber != "" {
			f.Add("external_number", fmt.Sprintf("repeats line %d", first))
		}
		if rows := RowErrorsOf(line, &f); len(rows) > 0 {
			bad = append(bad, rows...)
			continue
		}
		seen[t.ExternalNumber] = line
		tickets = append(tickets, t)
	}
	return tickets, bad, nil
}

func parseLatLng(f *intake.Fields, lat, lng string) (float64, float64, bool) {
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

func parseTime(f *intake.Fields, field, s string) time.Time {
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
