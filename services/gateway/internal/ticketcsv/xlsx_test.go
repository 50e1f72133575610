package ticketcsv_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/gateway/internal/ticketcsv"
)

// workbook is an .xlsx with rows on its first sheet (a nil row stays empty)
// and a second sheet that must be ignored.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	_, err := f.NewSheet("说明")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("说明", "A1", &[]any{"ignored"}))
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow("Sheet1", cell, &r))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// replaceInZip replaces old with new in every part of a zip archive.
func replaceInZip(t *testing.T, archive []byte, old, new string) []byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	require.NoError(t, err)
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range r.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		part, err := w.Create(f.Name)
		require.NoError(t, err)
		_, err = part.Write(bytes.ReplaceAll(data, []byte(old), []byte(new)))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return out.Bytes()
}

var header = []any{"external_number", "street_id", "category", "description", "lat", "lng", "address", "received_at", "due_at"}

func TestFromXLSXReadsTheFirstSheetAsCSV(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC) // a date cell: wall-clock time, no zone
	body := workbook(t, [][]any{
		header,
		{"BJ-1", 110101001, "garbage", "东华门街道垃圾堆积", 39.912345, 116.4015, "", "2026-11-23 08:00", due},
		nil, // an empty row in the middle
		{"BJ-2", "110101002", "noise", "第一行\n第二行", 39.92, 116.39, "景山前街", "", "2026-11-26 08:00"},
		{"BJ-3", "110101001", "garbage"}, // cells end early: the row is as wide as the header
	})
	sheet, err := ticketcsv.FromXLSX(body)
	require.NoError(t, err)
	recs, err := csv.NewReader(strings.NewReader(sheet.CSV)).ReadAll()
	require.NoError(t, err, sheet.CSV)
	require.Equal(t, [][]string{
		{"external_number", "street_id", "category", "description", "lat", "lng", "address", "received_at", "due_at"},
		{"BJ-1", "110101001", "garbage", "东华门街道垃圾堆积", "39.912345", "116.4015", "", "2026-11-23 08:00", "2026-11-26 08:00:00"},
		{"BJ-2", "110101002", "noise", "第一行\n第二行", "39.92", "116.39", "景山前街", "", "2026-11-26 08:00"},
		{"BJ-3", "110101001", "garbage", "", "", "", "", "", ""},
	}, recs)

	// CSV lines are sheet rows, but for the records after a cell with a line break.
	require.Equal(t, 2, sheet.Row(2))
	require.Equal(t, 4, sheet.Row(4))
	require.Equal(t, 5, sheet.Row(6), "BJ-3 starts on CSV line 6 and is sheet row 5")
}

func TestFromXLSXRefusesMalformedWorkbooksClearly(t *testing.T) {
	t.Parallel()
	_, err := ticketcsv.FromXLSX([]byte("external_number,street_id\n"))
	require.ErrorContains(t, err, "not a readable .xlsx workbook")

	_, err = ticketcsv.FromXLSX(workbook(t, [][]any{nil, header}))
	require.ErrorContains(t, err, `sheet "Sheet1": row 1 is empty`)

	// Excel and excelize write no longer cell; a crafted file can.
	long := strings.Repeat("扰", ticketcsv.MaxCellChars+1)
	crafted := replaceInZip(t, workbook(t, [][]any{header, {"BJ-1"}, {"BJ-2", "110101001", "noise", "PLACEHOLDER"}}), "PLACEHOLDER", long)
	_, err = ticketcsv.FromXLSX(crafted)
	require.EqualError(t, err, `sheet "Sheet1", row 3, column D (description): 32768 characters, a cell holds at most 32767`)

	// A small archive that unpacks to more than the gateway reads.
	bomb := replaceInZip(t, workbook(t, [][]any{header, {"PLACEHOLDER"}}), "PLACEHOLDER", strings.Repeat("a", ticketcsv.MaxUnzippedBytes))
	require.Less(t, len(bomb), ticketcsv.MaxBytes)
	_, err = ticketcsv.FromXLSX(bomb)
	require.ErrorContains(t, err, "not a readable .xlsx workbook")
	require.ErrorContains(t, err, "unzip size")
}

func TestFromXLSXBoundsTheRows(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(t, err)
	require.NoError(t, sw.SetRow("A1", []any{"external_number"}))
	for i := 2; i <= ticketcsv.MaxRows+2; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		require.NoError(t, sw.SetRow(cell, []any{i}))
	}
	require.NoError(t, sw.Flush())
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	_, err = ticketcsv.FromXLSX(buf.Bytes())
	require.ErrorContains(t, err, "more than 50000 rows after the header")
}

type answeringImporter struct {
	got  *intakev1.ImportTicketsCsvRequest
	resp *intakev1.ImportTicketsCsvResponse
}

func (a *answeringImporter) ImportTicketsCsv(_ context.Context, in *intakev1.ImportTicketsCsvRequest, _ ...grpc.CallOption) (*intakev1.ImportTicketsCsvResponse, error) {
	a.got = in
	return a.resp, nil
}

// TestHandlerTakesWorkbooksAndNamesSheetRows: an .xlsx body reaches intake as
// CSV text, and the lines intake names come back as sheet rows.
func TestHandlerTakesWorkbooksAndNamesSheetRows(t *testing.T) {
	t.Parallel()
	imp := &answeringImporter{resp: &intakev1.ImportTicketsCsvResponse{Rows: 2, Imported: 1,
		Errors: []*intakev1.RowError{{Line: 4, Field: "lat", Reason: "is not a number"}}}}
	h := ticketcsv.Handler(imp, time.Second)
	body := workbook(t, [][]any{header,
		{"BJ-1", "110101001", "garbage", "一\n二", 39.91, 116.40, "", "", "2026-11-26 08:00"},
		{"BJ-2", "110101001", "garbage", "坐标错误", "北纬39度", 116.40, "", "", "2026-11-26 08:00"}})

	req := httptest.NewRequest(http.MethodPost, ticketcsv.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ticketcsv.XLSXType)
	req.Header.Set("Authorization", "Bearer t")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.True(t, strings.HasPrefix(imp.got.GetCsv(), "external_number,street_id,"), imp.got.GetCsv())
	require.Contains(t, rec.Body.String(), `"line":3`, "CSV line 4 is sheet row 3")

	// A broken workbook is the caller's mistake, said in the error shape.
	req = httptest.NewRequest(http.MethodPost, ticketcsv.Path, strings.NewReader("PK\x03\x04broken"))
	req.Header.Set("Content-Type", ticketcsv.XLSXType)
	req.Header.Set("Authorization", "Bearer t")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"INVALID_ARGUMENT"`)
	require.Contains(t, rec.Body.String(), "not a readable .xlsx workbook")

	// A workbook sent as text/csv is named for what it is.
	req = httptest.NewRequest(http.MethodPost, ticketcsv.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer t")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), ticketcsv.XLSXType)
}
