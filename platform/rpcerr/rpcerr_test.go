package rpcerr_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/rpcerr"
)

// fields is what a client reads of a status: its code and each field's reason.
func fields(err error) (codes.Code, []string) {
	st := status.Convert(err)
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField()+": "+v.GetDescription())
			}
		}
	}
	return st.Code(), out
}

func TestStatus(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var v invalid.Violations
	v.Add("location.lat", "must be between -90 and 90")
	v.Addf("description", "must be at most %d characters", 2000)
	tooLarge := &outbox.TooLargeError{Event: "whistle.raised", Size: 70000, Limit: 65536, Field: "description"}
	for _, c := range []struct {
		name   string
		err    error
		code   codes.Code
		fields []string
	}{
		{"nil", nil, codes.OK, nil},
		{"every invalid field, in order", fmt.Errorf("raise: %w", v.Err()), codes.InvalidArgument,
			[]string{"location.lat: must be between -90 and 90", "description: must be at most 2000 characters"}},
		{"an event too large is its field's fault", fmt.Errorf("outbox: %w", tooLarge), codes.InvalidArgument,
			[]string{"description: " + tooLarge.Reason()}},
		{"cancelled", fmt.Errorf("query: %w", context.Canceled), codes.Canceled, nil},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded, nil},
		{"anything else", fmt.Errorf("select: connection reset"), codes.Internal, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := rpcerr.Status(context.Background(), log, c.err)
			code, got := fields(err)
			if code != c.code || fmt.Sprint(got) != fmt.Sprint(c.fields) {
				t.Fatalf("Status(%v) = %v %q, want %v %q", c.err, code, got, c.code, c.fields)
			}
			if code == codes.Internal && status.Convert(err).Message() != "internal error" {
				t.Fatalf("an internal error tells the caller %q", status.Convert(err).Message())
			}
		})
	}
}
