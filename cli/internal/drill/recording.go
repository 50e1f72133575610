// Package drill is whistlectl's drills (演练): a recording of a real period's
// raises, anonymised (Record), in a versioned JSON lines format (Write, Read),
// and its replay at a chosen speed (Replay). docs/drills.md describes the
// format and what is kept.
package drill

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// Format and Version name the recording format in its header line.
const (
	Format  = "whistle-drill-recording"
	Version = 1
)

// maxRaises bounds a recording (a district's busiest day is a few thousand).
const maxRaises = 100_000

// Header is a recording's first line.
type Header struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	District string `json:"district"`
	// The recorded real period [From, To); each raise's offset counts from From.
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	RecordedAt time.Time `json:"recorded_at"`
	Raises     int       `json:"raises"`
	// How far positions were moved at random (0: kept as they were).
	JitterM float64 `json:"jitter_m"`
}

// Raise is one line after the header: a raise as the drill replays it.
// Nothing in it names a person, an address or a whistle of the real record.
type Raise struct {
	// 1, 2, ... in time order; the replay's idempotency key.
	Seq int `json:"seq"`
	// Milliseconds after the period's start.
	OffsetMS int64   `json:"offset_ms"`
	StreetID string  `json:"street_id"`
	Category string  `json:"category"`
	Urgency  string  `json:"urgency,omitempty"`
	Lat      float64 `json:"lat"`
	Lng      float64 `json:"lng"`
}

// Offset is r's time after the period's start.
func (r Raise) Offset() time.Duration { return time.Duration(r.OffsetMS) * time.Millisecond }

// Recording is a header and its raises in time order.
type Recording struct {
	Header Header
	Raises []Raise
}

// Record anonymises the whistles raised in [from, to) of district: each keeps
// its street, category, urgency, position (moved up to jitterM metres in a
// random direction when jitterM > 0) and time after from; its id, title,
// description, address, reporter, photos and dispatches are dropped. Drill
// whistles are never recorded.
func Record(district string, from, to, now time.Time, whistles []*intakev1.Whistle, jitterM float64, rnd *rand.Rand) Recording {
	var kept []*intakev1.Whistle
	for _, w := range whistles {
		at := w.GetRaisedAt().AsTime()
		if w.GetDrillId() != "" || at.Before(from) || !at.Before(to) {
			continue
		}
		kept = append(kept, w)
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].GetRaisedAt().AsTime().Before(kept[j].GetRaisedAt().AsTime()) })
	rec := Recording{Header: Header{Format: Format, Version: Version, District: district, From: from.UTC(), To: to.UTC(),
		RecordedAt: now.UTC(), Raises: len(kept), JitterM: jitterM}}
	for i, w := range kept {
		lat, lng := w.GetLocation().GetLat(), w.GetLocation().GetLng()
		if jitterM > 0 {
			lat, lng = jitter(lat, lng, jitterM, rnd)
		}
		urgency := w.GetUrgency().String()
		if w.GetUrgency() == intakev1.Whistle_URGENCY_UNSPECIFIED {
			urgency = ""
		}
		rec.Raises = append(rec.Raises, Raise{
			Seq: i + 1, OffsetMS: w.GetRaisedAt().AsTime().Sub(from).Milliseconds(), StreetID: w.GetStreetId(),
			Category: w.GetCategory(), Urgency: urgency, Lat: lat, Lng: lng,
		})
	}
	return rec
}

// jitter moves a point up to m metres in a random direction.
func jitter(lat, lng, m float64, rnd *rand.Rand) (float64, float64) {
	const metresPerDegree = 111_320.0
	d := m * math.Sqrt(rnd.Float64())
	a := 2 * math.Pi * rnd.Float64()
	dLat := d * math.Cos(a) / metresPerDegree
	dLng := d * math.Sin(a) / (metresPerDegree * math.Cos(lat*math.Pi/180))
	return round6(lat + dLat), round6(lng + dLng)
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// Write writes rec as JSON lines: the header, then one raise a line.
func Write(w io.Writer, rec Recording) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec.Header); err != nil {
		return err
	}
	for _, r := range rec.Raises {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// Read reads and checks a recording: its format and version, and raises in
// time order within the period, as many as the header says.
func Read(r io.Reader) (Recording, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var rec Recording
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if line == 1 {
			if err := json.Unmarshal(sc.Bytes(), &rec.Header); err != nil {
				return rec, fmt.Errorf("line 1 (header): %w", err)
			}
			if rec.Header.Format != Format || rec.Header.Version != Version {
				return rec, fmt.Errorf("line 1: not a %s version %d file (format %q, version %d)", Format, Version, rec.Header.Format, rec.Header.Version)
			}
			continue
		}
		var x Raise
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			return rec, fmt.Errorf("line %d: %w", line, err)
		}
		if err := check(rec, x); err != nil {
			return rec, fmt.Errorf("line %d: %w", line, err)
		}
		rec.Raises = append(rec.Raises, x)
		if len(rec.Raises) > maxRaises {
			return rec, fmt.Errorf("more than %d raises", maxRaises)
		}
	}
	if err := sc.Err(); err != nil {
		return rec, err
	}
	if line == 0 {
		return rec, errors.New("empty file: no header")
	}
	if len(rec.Raises) != rec.Header.Raises {
		return rec, fmt.Errorf("the header says %d raises, the file has %d", rec.Header.Raises, len(rec.Raises))
	}
	return rec, nil
}

// check tells what is wrong with the next raise x of rec.
func check(rec Recording, x Raise) error {
	period := rec.Header.To.Sub(rec.Header.From)
	switch {
	case x.StreetID == "" || x.Category == "":
		return errors.New("street_id and category are required")
	case x.OffsetMS < 0 || x.Offset() >= period:
		return fmt.Errorf("offset_ms %d is outside the period", x.OffsetMS)
	case len(rec.Raises) > 0 && x.OffsetMS < rec.Raises[len(rec.Raises)-1].OffsetMS:
		return errors.New("raises must be in time order")
	case len(rec.Raises) > 0 && x.Seq <= rec.Raises[len(rec.Raises)-1].Seq, x.Seq <= 0:
		return errors.New("seq must rise from 1")
	}
	return nil
}
