package intake_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// FuzzRaiseValidate checks the one gate every raise passes (REST, gRPC and
// Open311 all end here): Validate never panics, reports every problem as a
// named field, and whatever it accepts really is a valid whistle — no lat 91,
// no NaN, no over-long text, no unknown urgency — and stays valid when
// validated again.
func FuzzRaiseValidate(f *testing.F) {
	f.Add("110101001", "noise", "工地夜间施工", "", "", true, 39.9, 116.4, "")
	f.Add("110101001", "noise", "d", "title", "东城区", true, -90.0, 180.0, "CRITICAL")
	f.Add("110101001", "noise", "d", "", "", true, 91.0, 116.4, "HIGH")
	f.Add("110101001", "noise", "d", "", "", true, 39.9, -180.5, "NORMAL")
	f.Add("", "", "  \n", "", "", false, 0.0, 0.0, "PANIC")
	f.Add("s", "c", strings.Repeat("噪", intake.MaxDescription+1), strings.Repeat("a", intake.MaxTitle+1), "", true, 0.0, 0.0, "normal")
	f.Add("s", "c", "\xff\xfe", "", strings.Repeat("b", intake.MaxAddress), true, 1e308, -1e308, "URGENCY_UNSPECIFIED")
	f.Fuzz(func(t *testing.T, street, category, description, title, address string, hasLocation bool, lat, lng float64, urgency string) {
		r := intake.Raise{
			StreetID: street, Category: category, Description: description, Title: title, Address: address,
			HasLocation: hasLocation, Lat: lat, Lng: lng, Urgency: intake.Urgency(urgency),
		}
		err := r.Validate()
		if err != nil {
			var bad invalid.Error
			if !errors.As(err, &bad) || len(bad) == 0 {
				t.Fatalf("Validate error %v names no field", err)
			}
			for _, fe := range bad {
				if fe.Field == "" || fe.Reason == "" {
					t.Fatalf("field error %+v lacks a field or a reason", fe)
				}
			}
			return
		}
		switch {
		case strings.TrimSpace(r.StreetID) == "", strings.TrimSpace(r.Category) == "", strings.TrimSpace(r.Description) == "":
			t.Fatalf("accepted a raise without street, category or description: %+v", r)
		case utf8.RuneCountInString(r.Description) > intake.MaxDescription,
			utf8.RuneCountInString(r.Title) > intake.MaxTitle,
			utf8.RuneCountInString(r.Address) > intake.MaxAddress:
			t.Fatalf("accepted over-long text: %d/%d/%d characters",
				utf8.RuneCountInString(r.Description), utf8.RuneCountInString(r.Title), utf8.RuneCountInString(r.Address))
		case !r.HasLocation:
			t.Fatalf("accepted a raise without a location")
		case !(r.Lat >= -90 && r.Lat <= 90), !(r.Lng >= -180 && r.Lng <= 180):
			t.Fatalf("accepted location lat %v lng %v", r.Lat, r.Lng)
		}
		switch r.Urgency {
		case intake.UrgencyNormal, intake.UrgencyHigh, intake.UrgencyCritical:
		default:
			t.Fatalf("accepted urgency %q", r.Urgency)
		}
		// A valid raise round-trips: validating it again changes nothing.
		again := r
		if err := again.Validate(); err != nil || again != r {
			t.Fatalf("a valid raise did not stay valid: %v, %+v -> %+v", err, r, again)
		}
	})
}
