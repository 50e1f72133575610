package drill

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

var from = time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC) // 2026-12-01 00:00 in Beijing

func whistle(id string, after time.Duration, street string) *intakev1.Whistle {
	return &intakev1.Whistle{
		Id: id, StreetId: street, DistrictId: "110101", Category: "noise", Title: "王先生家楼下夜间施工",
		Description: "13800138000 王先生反映", Address: "东华门大街 12 号 3 单元", Urgency: intakev1.Whistle_HIGH,
		Location: &typesv1.LatLng{Lat: 39.9146, Lng: 116.4036}, RaisedAt: timestamppb.New(from.Add(after)),
		RaisedBy: &typesv1.Actor{Role: "street", Id: "street-110101001"},
	}
}

func TestRecordAnonymisesAndOrders(t *testing.T) {
	t.Parallel()
	drillW := whistle("drill-x-1", time.Hour, "110101001")
	drillW.DrillId = "x"
	ws := []*intakev1.Whistle{
		whistle("w-late", 3*time.Hour, "110101002"),
		whistle("w-early", 90*time.Minute, "110101001"),
		drillW,
		whistle("w-outside", 25*time.Hour, "110101001"),
	}
	rec := Record("110101", from, from.Add(24*time.Hour), from.Add(48*time.Hour), ws, 0, nil)
	require.Equal(t, 2, rec.Header.Raises, "the drill whistle and the one outside the period are not recorded")
	require.Equal(t, []Raise{
		{Seq: 1, OffsetMS: (90 * time.Minute).Milliseconds(), StreetID: "110101001", Category: "noise", Urgency: "HIGH", Lat: 39.9146, Lng: 116.4036},
		{Seq: 2, OffsetMS: (3 * time.Hour).Milliseconds(), StreetID: "110101002", Category: "noise", Urgency: "HIGH", Lat: 39.9146, Lng: 116.4036},
	}, rec.Raises)

	var buf bytes.Buffer
	require.NoError(t, Write(&buf, rec))
	for _, secret := range []string{"王先生", "13800138000", "东华门大街", "w-early", "street-110101001"} {
		require.NotContains(t, buf.String(), secret, "the file carries nothing that names a person, a place or the real whistle")
	}
	back, err := Read(&buf)
	require.NoError(t, err)
	require.Equal(t, rec.Raises, back.Raises)
	require.Equal(t, rec.Header.From, back.Header.From)
}

func TestRecordJittersWithinBound(t *testing.T) {
	t.Parallel()
	rec := Record("110101", from, from.Add(time.Hour), from, []*intakev1.Whistle{whistle("w", time.Minute, "110101001")}, 50, rand.New(rand.NewPCG(1, 2)))
	r := rec.Raises[0]
	require.NotEqual(t, [2]float64{39.9146, 116.4036}, [2]float64{r.Lat, r.Lng})
	require.InDelta(t, 39.9146, r.Lat, 50.0/111_320+1e-6)
	require.InDelta(t, 116.4036, r.Lng, 50.0/(111_320*0.76)+1e-6)
}

func TestReadRejectsBadFiles(t *testing.T) {
	t.Parallel()
	head := `{"format":"whistle-drill-recording","version":1,"district":"110101","from":"2026-11-30T16:00:00Z","to":"2026-12-01T16:00:00Z","raises":2}` + "\n"
	for name, tc := range map[string]struct{ file, want string }{
		"empty":        {"", "no header"},
		"version":      {strings.Replace(head, `"version":1`, `"version":2`, 1), "version 1"},
		"out of order": {head + `{"seq":1,"offset_ms":5000,"street_id":"a","category":"c"}` + "\n" + `{"seq":2,"offset_ms":10,"street_id":"a","category":"c"}` + "\n", "time order"},
		"outside":      {head + `{"seq":1,"offset_ms":86400000,"street_id":"a","category":"c"}` + "\n", "outside the period"},
		"count":        {head + `{"seq":1,"offset_ms":1,"street_id":"a","category":"c"}` + "\n", "header says 2"},
		"no street":    {head + `{"seq":1,"offset_ms":1,"category":"c"}` + "\n", "required"},
	} {
		_, err := Read(strings.NewReader(tc.file))
		require.ErrorContains(t, err, tc.want, name)
	}
}

// fakeClock moves only when slept on.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return nil
}

func TestReplayDividesTheTimingBySpeed(t *testing.T) {
	t.Parallel()
	rec := Recording{Raises: []Raise{{Seq: 1, OffsetMS: 0}, {Seq: 2, OffsetMS: time.Hour.Milliseconds()}, {Seq: 3, OffsetMS: (3 * time.Hour).Milliseconds()}}}
	clock := &fakeClock{now: from}
	var at []time.Duration
	err := Replay(context.Background(), rec, 60, clock, func(_ context.Context, r Raise) error {
		at = append(at, clock.Now().Sub(from))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []time.Duration{0, time.Minute, 3 * time.Minute}, at, "an hour of the day is a minute of the drill at 60×")

	require.ErrorContains(t, Replay(context.Background(), rec, 0, clock, nil), "above 0")
}
