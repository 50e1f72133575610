package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// ErrChannelNotFound is an unknown channel.
var ErrChannelNotFound = errors.New("channel not found")

// ErrChannelExists is a channel added twice: the same kind (SMS, e-mail) or
// robot URL at the same desk.
var ErrChannelExists = errors.New("channel already exists")

// ManagedChannel is a channel as the API shows it: never its keys. A
// robot's Target is its URL without the query that carries its key.
type ManagedChannel struct {
	ID                         int64
	Department, District, Kind string
	Target                     string
	// Signed is a 钉钉 robot with a signing secret.
	Signed, Enabled bool
	// Source is env (WHISTLE_CHANNELS) or api.
	Source    string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// ChannelChange is what an update changes; nil fields stay.
type ChannelChange struct {
	RobotURL, Secret *string
	Enabled          *bool
}

// Channels manages the channels to people through the API, beside
// WHISTLE_CHANNELS (applied at each start). Only admins change them (a
// robot's URL decides where the service sends requests from); a district's
// supervisors list their own. Robot URLs and secrets are write-only.
type Channels struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	// Egress refuses at once a robot URL that no delivery could reach.
	Egress Egress
	// Subscriptions are reloaded after each change.
	Subscriptions *Subscriptions
}

type channelRow struct {
	ID         int64
	Department string
	DistrictID string
	Kind       string
	Url        string
	Signed     bool
	Enabled    bool
	Source     string
	CreatedAt  time.Time
	UpdatedAt  *time.Time
}

func managedChannel(r channelRow) ManagedChannel {
	m := ManagedChannel{ID: r.ID, Department: r.Department, District: r.DistrictID, Kind: r.Kind, Signed: r.Signed,
		Enabled: r.Enabled, Source: r.Source, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt}
	if _, people := channels.ToPeople(r.Kind); !people {
		m.Target, _, _ = strings.Cut(r.Url, "?")
	}
	return m
}

// List returns the channels in the caller's scope.
func (c *Channels) List(ctx context.Context, caller auth.Identity, department, district string) ([]ManagedChannel, error) {
	if caller.Role != auth.RoleAdmin && caller.Role != auth.RoleSupervisor {
		return nil, fmt.Errorf("%w: channels are listed for supervisors and admins", response.ErrPermission)
	}
	district, ok, err := Scope(caller, district)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := dutystore.New(c.Pool).ListChannels(ctx, dutystore.ListChannelsParams{DistrictID: district, Department: department})
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	out := make([]ManagedChannel, len(rows))
	for i, r := range rows {
		out[i] = managedChannel(channelRow(r))
	}
	return out, nil
}

// checkRobot checks a robot's URL and secret for kind.
func (c *Channels) checkRobot(invalid *response.InvalidError, kind string, robotURL, secret *string) {
	if robotURL != nil {
		if !isHTTPURL(*robotURL) || len(*robotURL) > 2048 {
			*invalid = append(*invalid, response.FieldError{Field: "robot_url", Reason: "must be the robot's absolute http(s) webhook URL"})
		} else if c.Egress.CheckURL(*robotURL) != nil {
			*invalid = append(*invalid, response.FieldError{Field: "robot_url",
				Reason: "destination not allowed: loopback, private, link-local and cluster addresses are refused unless WHISTLE_WEBHOOK_ALLOW lists them"})
		}
	}
	if secret != nil {
		switch {
		case kind == channels.WeCom:
			*invalid = append(*invalid, response.FieldError{Field: "secret", Reason: "a 企业微信 robot has no signing secret"})
		case len(*secret) < 8 || len(*secret) > 256:
			*invalid = append(*invalid, response.FieldError{Field: "secret", Reason: "must be the 钉钉 robot's signing secret (SEC...), 8 to 256 characters"})
		}
	}
}

// Create adds a channel of a department (or "supervisor") in a district.
func (c *Channels) Create(ctx context.Context, caller auth.Identity, department, district, kind, robotURL, secret string) (ManagedChannel, error) {
	if err := requireAdmin(caller, "channels"); err != nil {
		return ManagedChannel{}, err
	}
	var invalid response.InvalidError
	if !endpointDepartment.MatchString(department) {
		invalid = append(invalid, response.FieldError{Field: "department", Reason: "must be a department code such as police, or supervisor"})
	}
	if !endpointDistrict.MatchString(district) {
		invalid = append(invalid, response.FieldError{Field: "district_id", Reason: "must be a six-digit district code"})
	}
	_, people := channels.ToPeople(kind)
	switch {
	case !slices.Contains(channels.Kinds, kind):
		invalid = append(invalid, response.FieldError{Field: "kind", Reason: "must be one of " + strings.Join(channels.Kinds, ", ")})
	case people && (robotURL != "" || secret != ""):
		invalid = append(invalid, response.FieldError{Field: "robot_url", Reason: kind + " goes to the people on duty: no URL or secret"})
	case people:
		robotURL = kind // one SMS or e-mail channel of a kind per desk
	case robotURL == "":
		invalid = append(invalid, response.FieldError{Field: "robot_url", Reason: "a group robot needs its webhook URL"})
	default:
		var sec *string
		if secret != "" {
			sec = &secret
		}
		c.checkRobot(&invalid, kind, &robotURL, sec)
	}
	if len(invalid) > 0 {
		return ManagedChannel{}, invalid
	}
	var row dutystore.AddChannelRow
	err := c.Subscriptions.change(ctx, func() (err error) {
		return postgres.InTx(ctx, c.Pool, func(tx pgx.Tx) (err error) {
			row, err = dutystore.New(tx).AddChannel(ctx, dutystore.AddChannelParams{
				Department: department, DistrictID: district, Url: robotURL, Secret: secret, Now: c.Clock.Now(), Kind: kind,
			})
			return err
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return ManagedChannel{}, ErrChannelExists
	}
	if err != nil {
		return ManagedChannel{}, fmt.Errorf("add channel: %w", err)
	}
	return managedChannel(channelRow(row)), nil
}

// Update changes a channel. The URL of a channel of WHISTLE_CHANNELS stays
// what the configuration says, and SMS and e-mail have none.
func (c *Channels) Update(ctx context.Context, caller auth.Identity, id int64, ch ChannelChange) (ManagedChannel, error) {
	if err := requireAdmin(caller, "channels"); err != nil {
		return ManagedChannel{}, err
	}
	var out ManagedChannel
	err := c.Subscriptions.change(ctx, func() error {
		return postgres.InTx(ctx, c.Pool, func(tx pgx.Tx) error {
			row, err := dutystore.New(tx).UpdateChannel(ctx, dutystore.UpdateChannelParams{
				ID: id, Url: optText(ch.RobotURL), Secret: optText(ch.Secret), Enabled: optBool(ch.Enabled), Now: c.Clock.Now(),
			})
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrChannelNotFound
			}
			if err != nil {
				return fmt.Errorf("update channel %d: %w", id, err)
			}
			var invalid response.InvalidError
			_, people := channels.ToPeople(row.Kind)
			switch {
			case people && (ch.RobotURL != nil || ch.Secret != nil):
				invalid = append(invalid, response.FieldError{Field: "robot_url", Reason: row.Kind + " goes to the people on duty: no URL or secret"})
			case row.Source == "env" && ch.RobotURL != nil:
				invalid = append(invalid, response.FieldError{Field: "robot_url",
					Reason: "this channel is configured by WHISTLE_CHANNELS; change its URL in the service's configuration"})
			default:
				c.checkRobot(&invalid, row.Kind, ch.RobotURL, ch.Secret)
			}
			if len(invalid) > 0 {
				return invalid // rolls the update back
			}
			out = managedChannel(channelRow(row))
			return nil
		})
	})
	return out, err
}

// Delete removes a channel with its deliveries.
func (c *Channels) Delete(ctx context.Context, caller auth.Identity, id int64) error {
	if err := requireAdmin(caller, "channels"); err != nil {
		return err
	}
	var n int64
	err := c.Subscriptions.change(ctx, func() (err error) {
		return postgres.InTx(ctx, c.Pool, func(tx pgx.Tx) (err error) {
			n, err = dutystore.New(tx).DeleteChannel(ctx, id)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	if n == 0 {
		return ErrChannelNotFound
	}
	return nil
}
