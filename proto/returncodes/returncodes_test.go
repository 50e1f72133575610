package returncodes_test

import (
	"testing"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/proto/returncodes"
)

// TestCodesAreTheEnumNames keeps the table and the proto enum in step.
func TestCodesAreTheEnumNames(t *testing.T) {
	var names []returncodes.Code
	for v, name := range responsev1.Dispatch_ReturnCode_name {
		if v != 0 {
			names = append(names, returncodes.Code(name))
		}
	}
	if len(names) != len(returncodes.All) {
		t.Fatalf("enum has %d codes, table %d", len(names), len(returncodes.All))
	}
	for _, n := range names {
		if !n.Known() {
			t.Errorf("enum value %s is not in the table", n)
		}
	}
	if returncodes.Code("").Known() {
		t.Error("the empty code is known")
	}
	if got := returncodes.NeedsAnotherDepartment.Legacy(); got != "needs_another_department" {
		t.Errorf("Legacy = %q", got)
	}
}
