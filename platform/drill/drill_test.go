package drill

import "testing"

func TestWhistleIDRoundTrips(t *testing.T) {
	id := WhistleID("flood_2026", "0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f")
	if got := Of(id); got != "flood_2026" {
		t.Fatalf("Of(%q) = %q, want flood_2026", id, got)
	}
	if !Is(id) {
		t.Fatalf("Is(%q) = false", id)
	}
}

func TestRealWhistlesHaveNoDrill(t *testing.T) {
	for _, id := range []string{"0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f", "", "drill-", "drill-x", "drill--abc", "drill-Bad-abc", "drillx-a-b"} {
		if got := Of(id); got != "" {
			t.Errorf("Of(%q) = %q, want none", id, got)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, ok := range []string{"a", "flood_2026_07", "abcdefghijklmnopqrstuvwx"} {
		if err := Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "abcdefghijklmnopqrstuvwxy", "has-dash", "Upper", "空", "a b"} {
		if Validate(bad) == nil {
			t.Errorf("Validate(%q) accepted", bad)
		}
	}
}
