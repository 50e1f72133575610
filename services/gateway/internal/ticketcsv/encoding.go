package ticketcsv

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// utf8BOM starts a CSV saved by Excel as "CSV UTF-8".
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeText turns a CSV body into UTF-8 text by the documented rule
// (docs/decisions.md): a UTF-8 byte order mark means UTF-8 (the mark is
// dropped); otherwise valid UTF-8 is UTF-8; anything else is read as
// GB18030, which contains GBK and GB2312, the encodings of Chinese Excel and
// of many 12345 exports. Bytes that fit none of these are an error naming
// their line.
func DecodeText(body []byte) (string, error) {
	if bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || bytes.HasPrefix(body, []byte{0xFE, 0xFF}) {
		return "", fmt.Errorf("the file is UTF-16 (Excel's \"Unicode text\"): save it as CSV (UTF-8 or GBK) or .xlsx")
	}
	if rest, ok := bytes.CutPrefix(body, utf8BOM); ok {
		if !utf8.Valid(rest) {
			return "", fmt.Errorf("%s: not UTF-8, though the file starts with a UTF-8 byte order mark", position(rest, invalidUTF8(rest)))
		}
		return string(rest), nil
	}
	if utf8.Valid(body) {
		return string(body), nil
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(body)
	if err != nil {
		return "", fmt.Errorf("read the file as GB18030: %w", err)
	}
	// The decoder writes U+FFFD for bytes that are no GB18030 character. A
	// real U+FFFD in an export is itself the trace of a broken conversion.
	if at := bytes.IndexRune(text, utf8.RuneError); at >= 0 {
		return "", fmt.Errorf("neither UTF-8 (it breaks at %s) nor GB18030/GBK (it breaks at %s): save the file as CSV UTF-8 or GBK",
			position(body, invalidUTF8(body)), position(text, at))
	}
	// A GB18030 byte order mark decodes to U+FEFF.
	return string(bytes.TrimPrefix(text, utf8BOM)), nil
}

// invalidUTF8 is the offset of the first byte of b that is not UTF-8.
func invalidUTF8(b []byte) int {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return i
}

// position names offset at of text as "line N, character C" (1-based).
func position(text []byte, at int) string {
	line := bytes.Count(text[:at], []byte{'\n'}) + 1
	start := bytes.LastIndexByte(text[:at], '\n') + 1
	return fmt.Sprintf("line %d, character %d", line, utf8.RuneCount(text[start:at])+1)
}
