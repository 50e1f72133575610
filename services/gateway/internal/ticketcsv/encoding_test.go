package ticketcsv_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/chuishao/whistle/services/gateway/internal/ticketcsv"
)

const sampleCSV = "external_number,street_id,category,description\n" +
	"BJ-1,110101001,garbage,东华门街道垃圾堆积\n" +
	"BJ-2,110101002,noise,景山街道夜间施工噪声扰民\n"

func gb18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func TestDecodeTextFollowsTheRule(t *testing.T) {
	t.Parallel()
	for name, body := range map[string][]byte{
		"UTF-8":          []byte(sampleCSV),
		"UTF-8 with BOM": append([]byte{0xEF, 0xBB, 0xBF}, sampleCSV...),
		"GB18030":        gb18030(t, sampleCSV),
		"GB18030 BOM":    gb18030(t, "\ufeff"+sampleCSV),
	} {
		got, err := ticketcsv.DecodeText(body)
		require.NoError(t, err, name)
		require.Equal(t, sampleCSV, got, name)
	}

	// GBK is GB18030's two-byte part: a GBK export reads the same.
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(sampleCSV))
	require.NoError(t, err)
	got, err := ticketcsv.DecodeText(gbk)
	require.NoError(t, err)
	require.Equal(t, sampleCSV, got)
}

func TestDecodeTextNamesTheBadLine(t *testing.T) {
	t.Parallel()
	// 0x80 and 0xFF are no GB18030 lead bytes and no UTF-8.
	bad := append(gb18030(t, "a,b\n东华门,x\n坏"), 0xFF, 'z', '\n')
	_, err := ticketcsv.DecodeText(bad)
	require.EqualError(t, err, "neither UTF-8 (it breaks at line 2, character 1) nor GB18030/GBK (it breaks at line 3, character 2): "+
		"save the file as CSV UTF-8 or GBK")

	withBOM := append([]byte{0xEF, 0xBB, 0xBF}, append([]byte("a,b\n东华门,"), 0xB6, 0xAB)...)
	_, err = ticketcsv.DecodeText(withBOM)
	require.EqualError(t, err, "line 2, character 5: not UTF-8, though the file starts with a UTF-8 byte order mark")

	_, err = ticketcsv.DecodeText([]byte{0xFF, 0xFE, 'a', 0})
	require.ErrorContains(t, err, "UTF-16")
}
