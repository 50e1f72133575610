package logpath_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/logpath"
)

func TestPathDropsFollowUpTokens(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/v1/public/follow-ups/CtmpKweLn-djZE":      "/v1/public/follow-ups/[token]",
		"/v1/public/follow-ups/CtmpKweLn-djZE:rate": "/v1/public/follow-ups/[token]:rate",
		"/open311/v2/tokens/CtmpKweLn-djZE.json":    "/open311/v2/tokens/[token].json",
		"/v1/whistles/0193/reports":                 "/v1/whistles/0193/reports",
		"/v1/public/follow-ups/":                    "/v1/public/follow-ups/",
		"/v1/public/follow-ups/a%2Fb:rate":          "/v1/public/follow-ups/[token]:rate",
	} {
		require.Equal(t, want, logpath.Redact(in), in)
	}
}
