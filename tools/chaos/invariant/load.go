package invariant

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	pevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Schemas are the services' schemas, each with an outbox.
var Schemas = []string{"intake", "discovery", "routing", "response", "feedback"}

// Sources is where Load reads from.
type Sources struct {
	DB *pgxpool.Pool
	JS jetstream.JetStream
	// Stream is the event stream's name.
	Stream string
	// APIURL and AdminToken reach the gateway's POST /v1/audit:verify.
	APIURL, AdminToken string
}

// Load takes a snapshot. now is the services' clock at the start, so every
// deadline judged due had fallen due before anything was read.
func Load(ctx context.Context, src Sources, now time.Time, grace time.Duration, raises []Raise) (Snapshot, error) {
	s := Snapshot{Now: now, Grace: grace, Raises: raises, Outbox: map[string]int{}, Consumers: map[string]Lag{}}
	var err error
	if s.Departments, err = departments(ctx, src.DB); err != nil {
		return s, err
	}
	if s.Whistles, err = whistles(ctx, src.DB); err != nil {
		return s, err
	}
	if s.Dispatches, err = dispatches(ctx, src.DB); err != nil {
		return s, err
	}
	if err := src.DB.QueryRow(ctx, `SELECT count(*) FROM response.timers WHERE due_at <= $1`, now.Add(-grace)).Scan(&s.DueTimers); err != nil {
		return s, fmt.Errorf("count due timers: %w", err)
	}
	for _, schema := range Schemas {
		var n int
		if err := src.DB.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s.outbox`, schema)).Scan(&n); err != nil {
			return s, fmt.Errorf("count %s outbox: %w", schema, err)
		}
		s.Outbox[schema] = n
	}
	if s.Consumers, err = Consumers(ctx, src.JS, src.Stream); err != nil {
		return s, err
	}
	if s.Events, err = streamEvents(ctx, src.JS, src.Stream); err != nil {
		return s, err
	}
	if s.Audit, err = verifyAudit(ctx, src.APIURL, src.AdminToken); err != nil {
		return s, err
	}
	return s, nil
}

func departments(ctx context.Context, db *pgxpool.Pool) (map[string][]string, error) {
	rows, err := db.Query(ctx, `SELECT code, ARRAY(SELECT DISTINCT d FROM unnest(lead_department || cooperating_departments) AS d ORDER BY d)
		FROM routing.categories`)
	if err != nil {
		return nil, fmt.Errorf("read the catalogue: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var code string
		var deps []string
		if err := rows.Scan(&code, &deps); err != nil {
			return nil, fmt.Errorf("read the catalogue: %w", err)
		}
		out[code] = deps
	}
	return out, rows.Err()
}

func whistles(ctx context.Context, db *pgxpool.Pool) ([]Whistle, error) {
	rows, err := db.Query(ctx, `SELECT id, street_id, coalesce(idempotency_key, ''), category FROM intake.whistles`)
	if err != nil {
		return nil, fmt.Errorf("read whistles: %w", err)
	}
	defer rows.Close()
	var out []Whistle
	for rows.Next() {
		var w Whistle
		if err := rows.Scan(&w.ID, &w.StreetID, &w.IdempotencyKey, &w.Category); err != nil {
			return nil, fmt.Errorf("read whistles: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func dispatches(ctx context.Context, db *pgxpool.Pool) ([]Dispatch, error) {
	rows, err := db.Query(ctx, `SELECT id, whistle_id, department, status, ack_by, arrive_by, resolve_by, breaches FROM response.dispatches`)
	if err != nil {
		return nil, fmt.Errorf("read dispatches: %w", err)
	}
	defer rows.Close()
	var out []Dispatch
	for rows.Next() {
		var d Dispatch
		var ack, arrive, resolve time.Time
		if err := rows.Scan(&d.ID, &d.WhistleID, &d.Department, &d.Status, &ack, &arrive, &resolve, &d.Breaches); err != nil {
			return nil, fmt.Errorf("read dispatches: %w", err)
		}
		d.Due = map[string]time.Time{"ack": ack, "arrive": arrive, "resolve": resolve}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Consumers is every durable consumer's backlog on stream.
func Consumers(ctx context.Context, js jetstream.JetStream, stream string) (map[string]Lag, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	out := map[string]Lag{}
	infos := st.ListConsumers(ctx)
	for ci := range infos.Info() {
		if ci.Config.Durable == "" {
			continue
		}
		out[ci.Name] = Lag{Pending: ci.NumPending, AckPending: uint64(ci.NumAckPending)}
	}
	if err := infos.Err(); err != nil {
		return nil, fmt.Errorf("list consumers: %w", err)
	}
	return out, nil
}

// streamEvents reads the whole stream with an ordered consumer, starting
// again after the last message read when a request fails (a node restarting
// under the run can leave a request without responders for a moment).
func streamEvents(ctx context.Context, js jetstream.JetStream, stream string) ([]Event, error) {
	var (
		out       []Event
		next      uint64 = 1
		last      uint64
		failures  int
		lastError error
	)
	for failures < 20 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if failures > 0 {
			time.Sleep(500 * time.Millisecond)
		}
		read, err := readFrom(ctx, js, stream, next, &last, func(seq uint64, ev Event) {
			out = append(out, ev)
			next = seq + 1
		})
		if err == nil && read {
			return out, nil
		}
		if err != nil {
			failures++
			lastError = err
		}
	}
	return nil, fmt.Errorf("read stream: %w", lastError)
}

// readFrom reads from sequence next to the stream's last sequence (learnt
// once, into *last), calling add for each message; done is true at the end.
func readFrom(ctx context.Context, js jetstream.JetStream, stream string, next uint64, last *uint64, add func(uint64, Event)) (done bool, err error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return false, fmt.Errorf("stream %s: %w", stream, err)
	}
	if *last == 0 {
		*last = st.CachedInfo().State.LastSeq
	}
	if next > *last {
		return true, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: next,
	})
	if err != nil {
		return false, fmt.Errorf("ordered consumer: %w", err)
	}
	for {
		batch, err := cons.FetchNoWait(1000)
		if err != nil {
			return false, err
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return false, fmt.Errorf("message metadata: %w", err)
			}
			var ev eventsv1.Event
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				return false, fmt.Errorf("decode event at %d: %w", md.Sequence.Stream, err)
			}
			add(md.Sequence.Stream, fromProto(&ev))
			if md.Sequence.Stream >= *last {
				return true, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return false, err
		}
		if n == 0 {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func fromProto(ev *eventsv1.Event) Event {
	e := Event{ID: ev.GetId(), Name: pevents.Name(ev), WhistleID: ev.GetWhistleId(), DispatchID: ev.GetDispatchId()}
	for _, r := range pevents.Requests(ev) {
		e.Requested = append(e.Requested, r.GetDispatchId())
	}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SlaWarning:
		e.Clock = p.SlaWarning.GetClock()
	case *eventsv1.Event_SlaBreached:
		e.Clock = p.SlaBreached.GetClock()
	case *eventsv1.Event_SlaEscalated:
		e.Clock, e.Level = p.SlaEscalated.GetClock(), p.SlaEscalated.GetEscalationLevel()
	}
	return e
}

func verifyAudit(ctx context.Context, apiURL, token string) (Audit, error) {
	var a Audit
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/v1/audit:verify", bytes.NewReader([]byte("{}")))
	if err != nil {
		return a, fmt.Errorf("audit request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return a, fmt.Errorf("verify the timelines: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		OK bool `json:"ok"`
		// int64 fields are JSON strings in protojson.
		WhistlesChecked int64             `json:"whistles_checked,string"`
		EntriesChecked  int64             `json:"entries_checked,string"`
		Broken          []json.RawMessage `json:"broken"`
	}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("verify the timelines: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return a, fmt.Errorf("decode the audit verdict: %w", err)
	}
	a.OK = out.OK
	a.Whistles, a.Entries = out.WhistlesChecked, out.EntriesChecked
	a.Broken = int64(len(out.Broken))
	return a, nil
}
