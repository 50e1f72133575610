package ctl

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// deadLettersCmd is whistlectl deadletters: webhook deliveries that ran out of
// attempts, for supervisors to see and replay.
func deadLettersCmd(e *env) *cobra.Command {
	dl := &cobra.Command{
		Use: "deadletters", Aliases: []string{"dead-letters"},
		Short: "Webhook dead letters (投递失败): deliveries that ran out of attempts; list and replay",
	}
	var district string
	var limit int32
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "List the dead letters, newest first (supervisors: their district; admins: all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "district_id", district)
			if limit > 0 {
				q.Set("page_size", strconv.Itoa(int(limit)))
			}
			resp, raw, err := e.client().ListWebhookDeadLetters(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *responsev1.ListWebhookDeadLettersResponse) error {
				t := newTable(e.out, "ID", "EVENT", "DISPATCH", "DEPARTMENT", "DISTRICT", "URL", "ATTEMPTS", "LAST HTTP", "LAST ERROR", "CREATED (CST)")
				for _, d := range r.GetDeadLetters() {
					t.row(d.GetId(), d.GetEventName(), d.GetDispatchId(), d.GetDepartment(), d.GetDistrictId(), d.GetUrl(),
						strconv.Itoa(int(d.GetAttempts())), httpStatus(d.GetLastStatusCode()), truncate(orDash(d.GetLastError()), 60), cst(d.GetCreatedAt()))
				}
				return t.flush()
			})
		},
	})
	list.Flags().StringVar(&district, "district", "", "only this district")
	list.Flags().Int32Var(&limit, "limit", 0, "at most this many (default 100, at most 1000)")

	replay := authed(&cobra.Command{
		Use:   "replay DEAD_LETTER_ID",
		Short: "Queue a dead letter again, due now, with a fresh attempt budget",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, raw, err := e.client().ReplayWebhookDeadLetter(cmd.Context(), args[0])
			return show(e, out, raw, err, func(*responsev1.ReplayWebhookDeadLetterResponse) error {
				_, err := fmt.Fprintln(e.out, "queued again:", args[0])
				return err
			})
		},
	})
	dl.AddCommand(list, replay)
	return dl
}

// deliveriesCmd is whistlectl deliveries: a dispatch's webhook delivery log.
func deliveriesCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "deliveries DISPATCH_ID",
		Short: "A dispatch's webhook delivery log (投递记录): every attempt to post its events, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, raw, err := e.client().ListWebhookAttempts(cmd.Context(), args[0])
			return show(e, resp, raw, err, func(r *responsev1.ListWebhookAttemptsResponse) error {
				if len(r.GetAttempts()) == 0 {
					_, err := fmt.Fprintln(e.out, "No webhook deliveries for this dispatch (no endpoint for its desk, or none yet).")
					return err
				}
				t := newTable(e.out, "DELIVERY", "EVENT", "URL", "STATUS", "ATTEMPT", "AT (CST)", "HTTP", "ERROR")
				for _, a := range r.GetAttempts() {
					t.row(a.GetDeliveryId(), a.GetEventName(), a.GetUrl(), a.GetStatus(), strconv.Itoa(int(a.GetAttempt())),
						cstSeconds(a.GetAttemptedAt()), httpStatus(a.GetStatusCode()), truncate(orDash(a.GetError()), 60))
				}
				return t.flush()
			})
		},
	})
}

// cstSeconds is an instant in Beijing time to the second: retries of one
// delivery are often seconds apart.
func cstSeconds(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(shanghai).Format("2006-01-02 15:04:05")
}

// httpStatus is a receiver's HTTP status, "-" when no answer came.
func httpStatus(code int32) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(int(code))
}
