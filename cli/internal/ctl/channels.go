package ctl

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/chuishao/whistle/cli/internal/client"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// channelKinds are the channels to people on duty a department may have.
var channelKinds = []string{"aliyun-sms", "tencent-sms", "wecom", "dingtalk", "email"}

// channelsCmd is whistlectl channels: how the people on duty are reached (短信, 企业微信, 钉钉, e-mail).
func channelsCmd(e *env) *cobra.Command {
	channels := &cobra.Command{Use: "channels", Short: "Channels to the people on duty (短信/企业微信/钉钉/邮件) per department × district"}
	var filter deskFilter
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "List the channels (robot URLs and secrets are write-only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListChannels(cmd.Context(), filter.query())
			return show(e, resp, raw, err, func(r *responsev1.ListChannelsResponse) error { return printChannels(e, r.GetChannels()...) })
		},
	})
	filter.bind(list)

	var create responsev1.CreateChannelRequest
	var secret bool
	add := authed(&cobra.Command{
		Use:   "add --department D --district D --kind KIND",
		Short: "Add a channel (admins); a robot's signing secret is read from stdin with --secret-stdin",
		Example: "  whistlectl channels add --department police --district 110101 --kind tencent-sms\n" +
			"  whistlectl channels add --department police --district 110101 --kind wecom --robot-url 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(channelKinds, create.Kind) {
				return fmt.Errorf("--kind %q: must be aliyun-sms, tencent-sms, wecom, dingtalk or email", create.Kind)
			}
			if secret {
				var err error
				if create.Secret, err = readSecret(cmd); err != nil {
					return err
				}
			}
			c, raw, err := e.client().CreateChannel(cmd.Context(), &create)
			return show(e, c, raw, err, func(c *responsev1.Channel) error { return printChannels(e, c) })
		},
	})
	af := add.Flags()
	af.StringVar(&create.Department, "department", "", "department code (or supervisor)")
	af.StringVar(&create.DistrictId, "district", "", "six-digit district")
	af.StringVar(&create.Kind, "kind", "", "aliyun-sms, tencent-sms, wecom, dingtalk or email")
	af.StringVar(&create.RobotUrl, "robot-url", "", "wecom, dingtalk: the group robot's URL")
	af.BoolVar(&secret, "secret-stdin", false, "dingtalk: read the robot's signing secret from stdin")
	for _, f := range []string{"department", "district", "kind"} {
		_ = add.MarkFlagRequired(f)
	}

	var update responsev1.UpdateChannelRequest
	var enable, disable, newSecret bool
	upd := authed(&cobra.Command{
		Use:   "update CHANNEL_ID",
		Short: "Switch a channel on or off, or give it a new robot URL or secret (admins)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("CHANNEL_ID %q: must be a number", args[0])
			}
			if enable || disable {
				on := enable
				update.Enabled = &on
			}
			if newSecret {
				if update.Secret, err = readSecret(cmd); err != nil {
					return err
				}
			}
			if update.Enabled == nil && update.RobotUrl == "" && update.Secret == "" {
				return errors.New("nothing to change: give --enable, --disable, --robot-url or --secret-stdin")
			}
			c, raw, err := e.client().UpdateChannel(cmd.Context(), id, &update)
			return show(e, c, raw, err, func(c *responsev1.Channel) error { return printChannels(e, c) })
		},
	})
	uf := upd.Flags()
	uf.BoolVar(&enable, "enable", false, "send through it again")
	uf.BoolVar(&disable, "disable", false, "stop sending through it")
	uf.StringVar(&update.RobotUrl, "robot-url", "", "a new robot URL")
	uf.BoolVar(&newSecret, "secret-stdin", false, "read a new signing secret from stdin")
	upd.MarkFlagsMutuallyExclusive("enable", "disable")

	del := deleteCmd(e, "delete CHANNEL_ID", "Delete a channel added through the API (admins)", (*client.Client).DeleteChannel)
	channels.AddCommand(list, add, upd, del)
	return channels
}

func printChannels(e *env, channels ...*responsev1.Channel) error {
	t := newTable(e.out, "ID", "DEPARTMENT", "DISTRICT", "KIND", "TARGET", "SIGNED", "ENABLED", "SOURCE")
	for _, c := range channels {
		t.row(strconv.FormatInt(c.GetId(), 10), c.GetDepartment(), c.GetDistrictId(), c.GetKind(), orDash(c.GetTarget()),
			strconv.FormatBool(c.GetSigned()), strconv.FormatBool(c.GetEnabled()), orDash(c.GetSource()))
	}
	return t.flush()
}
