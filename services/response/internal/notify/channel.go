package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
)

// KindWebhook is the kind of a Standard Webhooks endpoint; the other kinds
// are channels (package channels).
const KindWebhook = "webhook"

// SupervisorDesk is the department code of a district's supervisors: their
// roster says who is on duty, and their channels receive the escalations
// (督办, 挂牌督办) of every department of the district.
const SupervisorDesk = "supervisor"

// ParseChannels reads WHISTLE_CHANNELS: comma-separated
// "department@district=kind" (SMS and e-mail to whoever is on duty at that
// desk) or "department@district=kind:url[|secret]" (a group robot; the
// secret is a 钉钉 robot's signing secret). Department "supervisor" is the
// district's supervisors.
func ParseChannels(s string) ([]Endpoint, error) {
	var out []Endpoint
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		fail := func(why string) error {
			return fmt.Errorf("WHISTLE_CHANNELS entry %d: %s", i+1, why)
		}
		scope, target, ok := strings.Cut(entry, "=")
		dept, district, ok2 := strings.Cut(scope, "@")
		if !ok || !ok2 || dept == "" || district == "" {
			return nil, fail("want department@district=kind[:url[|secret]]")
		}
		kind, rest, _ := strings.Cut(target, ":")
		if !slices.Contains(channels.Kinds, kind) {
			return nil, fail(fmt.Sprintf("kind %q is not one of %s", kind, strings.Join(channels.Kinds, ", ")))
		}
		e := Endpoint{Department: dept, DistrictID: district, Kind: kind, URL: kind}
		if _, people := channels.ToPeople(kind); people {
			if rest != "" {
				return nil, fail(kind + " takes no URL: it goes to the people on duty")
			}
		} else {
			e.URL, e.Secret, _ = strings.Cut(rest, "|")
			if !isHTTPURL(e.URL) {
				return nil, fail(kind + " needs the robot's http(s) webhook URL")
			}
			if kind == channels.WeCom && e.Secret != "" {
				return nil, fail("a 企业微信 robot has no signing secret")
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// recipients are the shifts on duty now at ep's desk that a person channel
// can reach; nil for a robot or a webhook. ok is false for a person
// channel with nobody on duty to reach: nothing is queued then.
func recipients(ctx context.Context, q *dutystore.Queries, kind, department, district string, now time.Time) (ids []string, ok bool, err error) {
	contact, people := channels.ToPeople(kind)
	if !people {
		return nil, true, nil
	}
	ids, err = q.OnDutyRecipients(ctx, dutystore.OnDutyRecipientsParams{
		Department: department, DistrictID: district, At: now, Contact: contact,
	})
	if err != nil {
		return nil, false, fmt.Errorf("who is on duty at %s@%s: %w", department, district, err)
	}
	return ids, len(ids) > 0, nil
}

// sendChannel sends a claimed delivery of a channel: it reads the people's
// contacts from the roster (they are never stored with the delivery) and
// returns the status, the masked target for the log, and whether a failure
// is permanent.
func (w *Worker) sendChannel(ctx context.Context, d claimed, at time.Time) (code int, target string, permanent bool, err error) {
	text, err := channels.Render(d.EventName, d.Body)
	if err != nil {
		return 0, d.Kind, true, err
	}
	m := channels.Message{Kind: d.Kind, URL: d.Url, Secret: d.Secret, ID: d.ID, Text: text}
	if len(d.Recipients) > 0 {
		rows, err := dutystore.New(w.Pool).ShiftContacts(ctx, d.Recipients)
		if err != nil {
			return 0, d.Kind, false, fmt.Errorf("contacts of the people on duty: %w", err)
		}
		for _, r := range rows {
			m.To = append(m.To, channels.Contact{Person: r.Person, Phone: r.Phone, Email: r.Email})
		}
	}
	target = channels.Target(m)
	code, err = w.Channels.Send(ctx, m, at)
	if err != nil {
		permanent = errors.Is(err, channels.ErrPermanent)
		return code, target, permanent, errors.New(channels.Scrub(err.Error(), m.To))
	}
	return code, target, false, nil
}
