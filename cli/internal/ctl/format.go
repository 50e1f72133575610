package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
	"go.yaml.in/yaml/v3"
)

// Output formats of -o.
const (
	OutputTable = "table"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
)

// outputFormats are the values -o takes, for its check and its completion.
var outputFormats = []string{OutputTable, OutputJSON, OutputYAML}

// emit is the one way a command prints an answer: raw is the gateway's JSON
// as it came, printed as JSON or YAML; table prints it for people.
func (e *env) emit(raw []byte, table func() error) error {
	switch e.output {
	case OutputJSON:
		return printJSON(e.out, raw)
	case OutputYAML:
		return printYAML(e.out, raw)
	}
	return table()
}

// emitValue is emit for an answer that is not a gateway body (the version,
// a token, rows read from Postgres): v is encoded as JSON first.
func (e *env) emitValue(v any, table func() error) error {
	if e.output == OutputTable {
		return table()
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	return e.emit(raw, table)
}

// printJSON writes the gateway's answer as it came, indented.
func printJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("format JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// printYAML writes the gateway's JSON answer as YAML: the same objects, keys
// in the order the gateway sent them, strings that would read as another
// type (int64s, "true") quoted. JSON is YAML, so the answer is parsed into
// YAML nodes and written again in block style.
func printYAML(w io.Writer, raw []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("read the answer as YAML: %w", err)
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("write YAML: %w", err)
	}
	return enc.Close()
}

// blockStyle drops the flow and quoting styles the JSON text had, so the
// encoder chooses: block collections, plain scalars where they stay strings.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// cells measures text as a terminal shows it: a CJK character takes two
// cells, and characters of ambiguous width (…, →) one, as terminals draw
// them by default.
var cells = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// columnGap is the space between two columns.
const columnGap = 2

// table lines up rows of cells in columns by display width (text/tabwriter
// counts a CJK character as one cell, so columns after Chinese names
// shifted). The last cell of a row is not padded; rows may differ in length.
type table struct {
	w    io.Writer
	rows [][]string
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) {
	r := make([]string, len(cells))
	for i, c := range cells {
		// A tab or newline inside a cell would break the columns.
		r[i] = strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(c)
	}
	t.rows = append(t.rows, r)
}

// flush writes the rows and empties the table.
func (t *table) flush() error {
	var widths []int
	for _, r := range t.rows {
		for i := 0; i < len(r)-1; i++ {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], cells.StringWidth(r[i]))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-cells.StringWidth(c)+columnGap))
			}
		}
		b.WriteByte('\n')
	}
	t.rows = nil
	_, err := io.WriteString(t.w, b.String())
	return err
}

// truncate shortens s to at most n terminal cells, ending in "…".
func truncate(s string, n int) string {
	return cells.Truncate(s, n, "…")
}
