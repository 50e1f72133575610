package ctl

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/cli/internal/client"
	"github.com/chuishao/whistle/platform/version"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// authed marks cmd as needing a token and returns it.
func authed(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[needsToken] = "yes"
	return cmd
}

// show prints a gateway answer (see emit), or returns the call's error.
func show[T proto.Message](e *env, v T, raw []byte, err error, table func(T) error) error {
	if err != nil {
		return err
	}
	return e.emit(raw, func() error { return table(v) })
}

// enumValue turns a user's "acknowledged" into the contract's ACKNOWLEDGED,
// checking it against the enum's names.
func enumValue(flag, val string, names map[string]int32) (string, error) {
	if val == "" {
		return "", nil
	}
	up := strings.ToUpper(strings.ReplaceAll(val, "-", "_"))
	if v, ok := names[up]; !ok || v == 0 {
		var valid []string
		for n, v := range names {
			if v != 0 {
				valid = append(valid, n)
			}
		}
		return "", fmt.Errorf("--%s %q: must be one of %s", flag, val, strings.Join(slices.Sorted(slices.Values(valid)), ", "))
	}
	return up, nil
}

func tokenCmd(e *env) *cobra.Command {
	var req client.TokenRequest
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get a dev token from the gateway (only with WHISTLE_DEV_AUTH=1)",
		Example: "  whistlectl token --role street --street 110101001\n" +
			"  whistlectl token --role desk --district 110101 --department police\n" +
			"  export WHISTLE_TOKEN=$(whistlectl token --role supervisor --district 110101)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := e.client().DevToken(cmd.Context(), req)
			if err != nil {
				return err
			}
			return e.emitValue(map[string]string{"token": tok}, func() error {
				_, err := fmt.Fprintln(e.out, tok)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Role, "role", "", "street, desk, supervisor or admin")
	f.StringVar(&req.StreetID, "street", "", "nine-digit township code (role street)")
	f.StringVar(&req.DistrictID, "district", "", "six-digit district code (desk; supervisor, empty for city scope)")
	f.StringVar(&req.Department, "department", "", "department code, e.g. police (role desk)")
	f.StringVar(&req.Subject, "subject", "", "token subject (default dev-<role>-<scope>)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date whistlectl was built from",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := version.Get()
			return e.emitValue(v, func() error {
				_, err := fmt.Fprintln(e.out, "whistlectl", v)
				return err
			})
		},
	}
}

func raiseCmd(e *env) *cobra.Command {
	var (
		req      intakev1.RaiseWhistleRequest
		lat, lng float64
		urgency  string
		key      string
	)
	cmd := authed(&cobra.Command{
		Use:     "raise",
		Short:   "Raise a whistle (吹哨) for the departments to act on",
		Example: `  whistlectl raise --category joint-enforcement --description "占道经营，堵塞消防通道" --lat 39.9125 --lng 116.4015`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.StreetId, err = streetOf(e, req.StreetId); err != nil {
				return err
			}
			u, err := enumValue("urgency", urgency, intakev1.Whistle_Urgency_value)
			if err != nil {
				return err
			}
			if u != "" {
				req.Urgency = intakev1.Whistle_Urgency(intakev1.Whistle_Urgency_value[u])
			}
			req.Location = &typesv1.LatLng{Lat: lat, Lng: lng}
			if key == "" {
				key = newIdempotencyKey()
			}
			wh, raw, err := e.client().RaiseWhistle(cmd.Context(), &req, key)
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
	f := cmd.Flags()
	f.StringVar(&req.CoordSys, "coord-sys", "", "system of --lat/--lng: WGS84, GCJ02 (高德, 腾讯) or BD09 (百度); the deployment's default when unset")
	f.StringVar(&req.StreetId, "street", "", "nine-digit township code (default: the token's street)")
	f.StringVar(&req.Category, "category", "", "category code, e.g. joint-enforcement (see `whistlectl categories`)")
	f.StringVar(&req.Description, "description", "", "what is wrong")
	f.Float64Var(&lat, "lat", 0, "latitude of the problem")
	f.Float64Var(&lng, "lng", 0, "longitude of the problem")
	f.StringVar(&req.Title, "title", "", "short title")
	f.StringVar(&req.Address, "address", "", "street address")
	f.StringVar(&urgency, "urgency", "", "NORMAL (default), HIGH or CRITICAL")
	f.StringVar(&key, "idempotency-key", "", "retry-safe key (default: a fresh one)")
	for _, name := range []string{"category", "description", "lat", "lng"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func listCmd(e *env) *cobra.Command {
	var street, status, pageToken string
	var pageSize int
	cmd := authed(&cobra.Command{
		Use:   "list",
		Short: "List whistles, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := enumValue("status", status, intakev1.Whistle_Status_value)
			if err != nil {
				return err
			}
			resp, raw, err := e.client().ListWhistles(cmd.Context(), street, st, pageSize, pageToken)
			return show(e, resp, raw, err, func(resp *intakev1.ListWhistlesResponse) error {
				if err := printWhistles(e.out, resp.GetWhistles()); err != nil {
					return err
				}
				if next := resp.GetNextPageToken(); next != "" {
					fmt.Fprintf(e.out, "\nMore: whistlectl list --page-token %s\n", next)
				}
				return nil
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&street, "street", "", "only this street (a street token sees only its own)")
	f.StringVar(&status, "status", "", "only this status, e.g. RESPONDING")
	f.IntVar(&pageSize, "page-size", 0, "whistles per page (1-100)")
	f.StringVar(&pageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func showCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "show WHISTLE_ID",
		Short: "Show a whistle with its dispatches and deadlines",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wh, raw, err := e.client().GetWhistle(cmd.Context(), args[0])
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
}

func timelineCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "timeline WHISTLE_ID",
		Short: "Show every event of a whistle, in order",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, raw, err := e.client().Timeline(cmd.Context(), args[0])
			return show(e, resp, raw, err, func(resp *feedbackv1.GetTimelineResponse) error {
				return printTimeline(e.out, resp.GetEntries())
			})
		},
	})
}

func feedbackCmd(e *env) *cobra.Command {
	var satisfaction int32
	var comment string
	cmd := authed(&cobra.Command{
		Use:   "feedback WHISTLE_ID",
		Short: "Rate a resolved whistle (回访) and close it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wh, raw, err := e.client().SubmitFeedback(cmd.Context(), args[0], satisfaction, comment)
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
	cmd.Flags().Int32Var(&satisfaction, "satisfaction", 0, "1 (very unsatisfied) to 5 (very satisfied)")
	cmd.Flags().StringVar(&comment, "comment", "", "what the street has to say")
	_ = cmd.MarkFlagRequired("satisfaction")
	return cmd
}

func cancelCmd(e *env) *cobra.Command {
	var reason string
	cmd := authed(&cobra.Command{
		Use:   "cancel WHISTLE_ID",
		Short: "Withdraw a whistle that is not resolved yet",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wh, raw, err := e.client().CancelWhistle(cmd.Context(), args[0], reason)
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	return cmd
}

func reopenCmd(e *env) *cobra.Command {
	var reason string
	cmd := authed(&cobra.Command{
		Use:   "reopen WHISTLE_ID",
		Short: "Send a resolved whistle back: not fixed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wh, raw, err := e.client().ReopenWhistle(cmd.Context(), args[0], reason)
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
	cmd.Flags().StringVar(&reason, "reason", "", "what is still wrong")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func queueCmd(e *env) *cobra.Command {
	var status, whistle, pageToken string
	var pageSize int
	cmd := authed(&cobra.Command{
		Use:   "queue",
		Short: "A duty desk's dispatches, soonest deadline first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := enumValue("status", status, responsev1.Dispatch_Status_value)
			if err != nil {
				return err
			}
			resp, raw, err := e.client().ListDispatches(cmd.Context(), st, whistle, pageSize, pageToken)
			return show(e, resp, raw, err, func(resp *responsev1.ListDispatchesResponse) error {
				if len(resp.GetDispatches()) == 0 {
					_, err := fmt.Fprintln(e.out, "The queue is empty.")
					return err
				}
				if err := printDispatches(e.out, resp.GetDispatches()); err != nil {
					return err
				}
				if next := resp.GetNextPageToken(); next != "" {
					fmt.Fprintf(e.out, "\nMore: whistlectl queue --page-token %s\n", next)
				}
				return nil
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only this status, e.g. PENDING (default: all open)")
	f.StringVar(&whistle, "whistle", "", "only this whistle's dispatches")
	f.IntVar(&pageSize, "page-size", 0, "dispatches per page")
	f.StringVar(&pageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func dispatchCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "dispatch DISPATCH_ID",
		Short: "Show one dispatch with its deadlines",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, raw, err := e.client().GetDispatch(cmd.Context(), args[0])
			return show(e, d, raw, err, func(d *responsev1.Dispatch) error { return printDispatch(e.out, d) })
		},
	})
}

// dispatchAction builds ack/arrive/resolve/return: same shape, one call each.
func dispatchAction(e *env, use, short string, call func(ctx context.Context, c *client.Client, id string) (*responsev1.Dispatch, []byte, error)) *cobra.Command {
	return authed(&cobra.Command{
		Use:   use + " DISPATCH_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, raw, err := call(cmd.Context(), e.client(), args[0])
			return show(e, d, raw, err, func(d *responsev1.Dispatch) error { return printDispatch(e.out, d) })
		},
	})
}

func ackCmd(e *env) *cobra.Command {
	return dispatchAction(e, "ack", "Acknowledge a dispatch (签收)", func(ctx context.Context, c *client.Client, id string) (*responsev1.Dispatch, []byte, error) {
		return c.Acknowledge(ctx, id)
	})
}

func arriveCmd(e *env) *cobra.Command {
	var (
		lat, lng, accuracy float64
		coordSys           string
		noLocation         bool
	)
	cmd := dispatchAction(e, "arrive", "Check in on site (到场报到) with your location, or --no-location (marked unlocated)", func(ctx context.Context, c *client.Client, id string) (*responsev1.Dispatch, []byte, error) {
		in := &responsev1.ArriveDispatchRequest{}
		if !noLocation {
			in.Location = &typesv1.LatLng{Lat: lat, Lng: lng}
			in.AccuracyM, in.CoordSys = accuracy, coordSys
		}
		return c.Arrive(ctx, id, in)
	})
	cmd.Flags().Float64Var(&lat, "lat", 0, "latitude where you are")
	cmd.Flags().Float64Var(&lng, "lng", 0, "longitude where you are")
	cmd.Flags().Float64Var(&accuracy, "accuracy", 0, "accuracy of the position in metres, as the device reports it")
	cmd.Flags().StringVar(&coordSys, "coord-sys", "", "coordinate system of --lat/--lng: WGS84, GCJ02 (高德, 腾讯) or BD09 (百度); the deployment's default when empty")
	cmd.Flags().BoolVar(&noLocation, "no-location", false, "arrive without a position (recorded and marked as unlocated)")
	cmd.MarkFlagsRequiredTogether("lat", "lng")
	cmd.MarkFlagsOneRequired("lat", "no-location")
	cmd.MarkFlagsMutuallyExclusive("lat", "no-location")
	cmd.MarkFlagsMutuallyExclusive("accuracy", "no-location")
	cmd.MarkFlagsMutuallyExclusive("coord-sys", "no-location")
	return cmd
}

func resolveCmd(e *env) *cobra.Command {
	var summary string
	cmd := dispatchAction(e, "resolve", "Resolve a dispatch (办结)", func(ctx context.Context, c *client.Client, id string) (*responsev1.Dispatch, []byte, error) {
		return c.Resolve(ctx, id, summary)
	})
	cmd.Flags().StringVar(&summary, "summary", "", "what was done")
	return cmd
}

func returnCmd(e *env) *cobra.Command {
	var reason, code, department string
	cmd := dispatchAction(e, "return", "Return a dispatch (退单) with a reason code and a reason", func(ctx context.Context, c *client.Client, id string) (*responsev1.Dispatch, []byte, error) {
		v, ok := responsev1.Dispatch_ReturnCode_value[strings.ToUpper(code)]
		if !ok || v == 0 {
			return nil, nil, fmt.Errorf("--code must be not_our_remit, wrong_location, duplicate or needs_another_department, not %q", code)
		}
		return c.Return(ctx, id, &responsev1.ReturnDispatchRequest{
			Reason: reason, ReasonCode: responsev1.Dispatch_ReturnCode(v), Department: department,
		})
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why this is not your department's")
	cmd.Flags().StringVar(&code, "code", "", "not_our_remit, wrong_location, duplicate or needs_another_department")
	cmd.Flags().StringVar(&department, "department", "", "with needs_another_department: the department that should take it")
	_ = cmd.MarkFlagRequired("reason")
	_ = cmd.MarkFlagRequired("code")
	return cmd
}
