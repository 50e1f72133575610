package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/cli/internal/client"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// shanghai is the time zone of rosters.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// parseShiftTime reads "2026-11-27 08:00" (Asia/Shanghai) or an RFC 3339 time.
func parseShiftTime(flag, v string) (*timestamppb.Timestamp, error) {
	t, err := parseTimeFlag(flag, v, "2006-01-02 15:04", shanghai, `"2026-11-27 08:00" (Asia/Shanghai) or an RFC 3339 time`)
	if t.IsZero() || err != nil {
		return nil, err
	}
	return timestamppb.New(t), nil
}

func cst(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(shanghai).Format("2006-01-02 15:04")
}

// deskFilter is the --department / --district filter of the list commands.
type deskFilter struct{ department, district string }

func (f *deskFilter) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.department, "department", "", "only this department")
	cmd.Flags().StringVar(&f.district, "district", "", "only this district")
}

func (f *deskFilter) query() url.Values {
	q := url.Values{}
	setIf(q, "department", f.department)
	setIf(q, "district_id", f.district)
	return q
}

// deleteCmd is a "delete ID" subcommand that calls del with the ID.
func deleteCmd(e *env, use, short string, del func(c *client.Client, ctx context.Context, id string) ([]byte, error)) *cobra.Command {
	return authed(&cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := del(e.client(), cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if len(raw) == 0 {
				raw = []byte("{}")
			}
			return e.emit(raw, func() error {
				_, err := fmt.Fprintln(e.out, "deleted", args[0])
				return err
			})
		},
	})
}

func printShifts(e *env, shifts []*responsev1.Shift) error {
	t := newTable(e.out, "ID", "DEPARTMENT", "DISTRICT", "SEAT", "PERSON", "PHONE", "EMAIL", "FROM (CST)", "TO (CST)")
	for _, s := range shifts {
		t.row(s.GetId(), s.GetDepartment(), s.GetDistrictId(), s.GetSeat(), s.GetPerson(), orDash(s.GetPhone()), orDash(s.GetEmail()),
			cst(s.GetStartsAt()), cst(s.GetEndsAt()))
	}
	return t.flush()
}

// rosterCmd is whistlectl roster: shifts of the duty desks (值班表) and their heartbeats.
func rosterCmd(e *env) *cobra.Command {
	roster := &cobra.Command{Use: "roster", Short: "Duty rosters (值班表): who is on duty when, per department × district"}
	var filter deskFilter
	var from, to string
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "List the shifts overlapping a period (default: the coming 7 days)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filter.query()
			for flag, v := range map[string]string{"from": from, "to": to} {
				ts, err := parseShiftTime(flag, v)
				if err != nil {
					return err
				}
				if ts != nil {
					q.Set(flag, ts.AsTime().Format(time.RFC3339))
				}
			}
			resp, raw, err := e.client().ListShifts(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *responsev1.ListShiftsResponse) error { return printShifts(e, r.GetShifts()) })
		},
	})
	filter.bind(list)
	lf := list.Flags()
	lf.StringVar(&from, "from", "", `start, "2026-11-27 08:00" (Asia/Shanghai) or RFC 3339 (default now)`)
	lf.StringVar(&to, "to", "", "end (default 7 days after --from)")

	var shift responsev1.Shift
	var starts, ends string
	add := authed(&cobra.Command{
		Use:   "add",
		Short: "Add a shift; shifts of one seat must not overlap (hand over where one ends and the next begins)",
		Example: "  whistlectl roster add --department police --district 110101 --seat 值班长 --person 张三 \\\n" +
			"    --from \"2026-11-27 08:00\" --to \"2026-11-27 20:00\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if shift.StartsAt, err = parseShiftTime("from", starts); err != nil {
				return err
			}
			if shift.EndsAt, err = parseShiftTime("to", ends); err != nil {
				return err
			}
			out, raw, err := e.client().AddShift(cmd.Context(), &shift)
			return show(e, out, raw, err, func(s *responsev1.Shift) error { return printShifts(e, []*responsev1.Shift{s}) })
		},
	})
	af := add.Flags()
	af.StringVar(&shift.Department, "department", "", "department code, e.g. police")
	af.StringVar(&shift.DistrictId, "district", "", "six-digit district code")
	af.StringVar(&shift.Seat, "seat", "值班", "the seat, e.g. 值班长; two people on duty at once hold two seats")
	af.StringVar(&shift.Person, "person", "", "who is on duty")
	af.StringVar(&shift.Phone, "phone", "", "their duty phone (SMS channels text it while they are on duty)")
	af.StringVar(&shift.Email, "email", "", "their e-mail (e-mail channels write to it while they are on duty)")
	af.StringVar(&starts, "from", "", `start, "2026-11-27 08:00" (Asia/Shanghai) or RFC 3339`)
	af.StringVar(&ends, "to", "", "end")

	del := deleteCmd(e, "delete SHIFT_ID", "Delete a shift", (*client.Client).DeleteShift)

	var desk string
	beat := authed(&cobra.Command{
		Use:   "heartbeat",
		Short: "Send a desk heartbeat (desk tokens, service accounts): the department counts as staffed for the window",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, raw, err := e.client().DeskHeartbeat(cmd.Context(), desk)
			return show(e, out, raw, err, func(r *responsev1.DeskHeartbeatResponse) error {
				if _, err := fmt.Fprintf(e.out, "live for %s; on duty now:\n", dur(r.GetWindow())); err != nil {
					return err
				}
				return printShifts(e, r.GetOnDuty())
			})
		},
	})
	beat.Flags().StringVar(&desk, "desk", "", "the desk's name (default: your token's subject)")

	var beats deskFilter
	desks := authed(&cobra.Command{
		Use:   "desks",
		Short: "The desks' last heartbeats and whether they are live (supervisors, admins)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListDeskHeartbeats(cmd.Context(), beats.query())
			return show(e, resp, raw, err, func(r *responsev1.ListDeskHeartbeatsResponse) error {
				t := newTable(e.out, "DEPARTMENT", "DISTRICT", "DESK", "LAST SEEN (CST)", "LIVE")
				for _, h := range r.GetHeartbeats() {
					t.row(h.GetDepartment(), h.GetDistrictId(), h.GetDesk(), cst(h.GetLastSeen()), strconv.FormatBool(h.GetLive()))
				}
				return t.flush()
			})
		},
	})
	beats.bind(desks)

	roster.AddCommand(list, add, del, beat, desks)
	return roster
}

func printEndpoints(e *env, eps []*responsev1.WebhookEndpoint) error {
	t := newTable(e.out, "ID", "DEPARTMENT", "DISTRICT", "URL", "ENABLED", "SOURCE", "OLD SECRET UNTIL (CST)")
	for _, ep := range eps {
		t.row(strconv.FormatInt(ep.GetId(), 10), ep.GetDepartment(), ep.GetDistrictId(), ep.GetUrl(), strconv.FormatBool(ep.GetEnabled()), ep.GetSource(),
			cst(ep.GetPreviousSecretExpiresAt()))
	}
	return t.flush()
}

// readSecret reads the webhook secret from the first line of stdin, so it
// never appears in the shell history or the process list.
func readSecret(cmd *cobra.Command) (string, error) {
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err == nil {
			err = errors.New("empty line")
		}
		return "", fmt.Errorf("read the secret from stdin: %w", err)
	}
	return line, nil
}

// endpointsCmd is whistlectl endpoints: the departments' webhook endpoints.
func endpointsCmd(e *env) *cobra.Command {
	endpoints := &cobra.Command{Use: "endpoints", Short: "Webhook endpoints per department × district (secrets are write-only)"}
	var filter deskFilter
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "List the endpoints (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListWebhookEndpoints(cmd.Context(), filter.query())
			return show(e, resp, raw, err, func(r *responsev1.ListWebhookEndpointsResponse) error { return printEndpoints(e, r.GetEndpoints()) })
		},
	})
	filter.bind(list)

	var create responsev1.CreateWebhookEndpointRequest
	add := authed(&cobra.Command{
		Use:     "add",
		Short:   "Add an endpoint; the secret is read from stdin",
		Example: "  printf '%s\\n' \"$SECRET\" | whistlectl endpoints add --department police --district 110101 --url https://110.example/whistle",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if create.Secret, err = readSecret(cmd); err != nil {
				return err
			}
			out, raw, err := e.client().CreateWebhookEndpoint(cmd.Context(), &create)
			return show(e, out, raw, err, func(ep *responsev1.WebhookEndpoint) error {
				return printEndpoints(e, []*responsev1.WebhookEndpoint{ep})
			})
		},
	})
	add.Flags().StringVar(&create.Department, "department", "", "department code")
	add.Flags().StringVar(&create.DistrictId, "district", "", "six-digit district code")
	add.Flags().StringVar(&create.Url, "url", "", "the receiver's http(s) URL")

	var update responsev1.UpdateWebhookEndpointRequest
	var newSecret bool
	var enabled string
	var overlap time.Duration
	upd := authed(&cobra.Command{
		Use: "update ENDPOINT_ID",
		Short: "Change an endpoint's URL, secret (--secret-stdin: a rotation, the old secret signs beside the new " +
			"for --overlap) or --enabled true/false",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ENDPOINT_ID must be a number, got %q", args[0])
			}
			if newSecret {
				if update.Secret, err = readSecret(cmd); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("overlap") {
				if !newSecret {
					return errors.New("--overlap goes with --secret-stdin")
				}
				update.SecretOverlap = durationpb.New(overlap)
			}
			if enabled != "" {
				b, err := strconv.ParseBool(enabled)
				if err != nil {
					return fmt.Errorf("--enabled %q: true or false", enabled)
				}
				update.Enabled = &b
			}
			out, raw, err := e.client().UpdateWebhookEndpoint(cmd.Context(), id, &update)
			return show(e, out, raw, err, func(ep *responsev1.WebhookEndpoint) error {
				return printEndpoints(e, []*responsev1.WebhookEndpoint{ep})
			})
		},
	})
	upd.Flags().StringVar(&update.Url, "url", "", "new URL")
	upd.Flags().BoolVar(&newSecret, "secret-stdin", false, "read a new secret from stdin (rotates: both sign during the overlap)")
	upd.Flags().DurationVar(&overlap, "overlap", 0, "how long the replaced secret keeps signing (default: the service's, 24h; 0s: not at all)")
	upd.Flags().StringVar(&enabled, "enabled", "", "true or false")

	del := deleteCmd(e, "delete ENDPOINT_ID", "Delete an endpoint with its delivery history", (*client.Client).DeleteWebhookEndpoint)
	endpoints.AddCommand(list, add, upd, del)
	return endpoints
}

func printAccounts(e *env, accounts []*responsev1.ServiceAccount) error {
	t := newTable(e.out, "ID", "NAME", "DEPARTMENT", "DISTRICT", "EXPIRES (CST)", "REVOKED (CST)")
	for _, a := range accounts {
		t.row(a.GetId(), a.GetName(), a.GetDepartment(), a.GetDistrictId(), cst(a.GetExpiresAt()), cst(a.GetRevokedAt()))
	}
	return t.flush()
}

// serviceAccountsCmd is whistlectl service-accounts: integrations' tokens.
func serviceAccountsCmd(e *env) *cobra.Command {
	accounts := &cobra.Command{
		Use: "service-accounts", Aliases: []string{"tokens"},
		Short: "Service accounts: a department's own system acting as its desk in one district",
	}
	var district string
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "List the service accounts (never their tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListServiceAccounts(cmd.Context(), district)
			return show(e, resp, raw, err, func(r *responsev1.ListServiceAccountsResponse) error { return printAccounts(e, r.GetAccounts()) })
		},
	})
	list.Flags().StringVar(&district, "district", "", "only this district")

	var req responsev1.CreateServiceAccountRequest
	var ttl time.Duration
	create := authed(&cobra.Command{
		Use:     "create",
		Short:   "Issue a service account (admins only); its token is printed once",
		Example: "  whistlectl service-accounts create --name 110指挥系统 --department police --district 110101 --ttl 2160h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ttl > 0 {
				req.Ttl = durationpb.New(ttl)
			}
			out, raw, err := e.client().CreateServiceAccount(cmd.Context(), &req)
			return show(e, out, raw, err, func(r *responsev1.CreateServiceAccountResponse) error {
				if err := printAccounts(e, []*responsev1.ServiceAccount{r.GetAccount()}); err != nil {
					return err
				}
				_, err := fmt.Fprintf(e.out, "\ntoken (shown once; store it in the integration's secret store):\n%s\n", r.GetToken())
				return err
			})
		},
	})
	create.Flags().StringVar(&req.Name, "name", "", "the system's name, e.g. 110指挥系统")
	create.Flags().StringVar(&req.Department, "department", "", "department code")
	create.Flags().StringVar(&req.DistrictId, "district", "", "six-digit district code")
	create.Flags().DurationVar(&ttl, "ttl", 0, "token lifetime (default 90 days, at most 366 days)")

	revoke := authed(&cobra.Command{
		Use:   "revoke ACCOUNT_ID",
		Short: "Revoke a service account: its token stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, raw, err := e.client().RevokeServiceAccount(cmd.Context(), args[0])
			return show(e, out, raw, err, func(a *responsev1.ServiceAccount) error { return printAccounts(e, []*responsev1.ServiceAccount{a}) })
		},
	})
	accounts.AddCommand(list, create, revoke)
	return accounts
}
