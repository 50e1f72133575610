package stream

import (
	"bytes"
	"fmt"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// encodedSlots is how many recent stream positions the encoding cache holds:
// enough for every open stream of a burst to find the event another one decoded.
const encodedSlots = 1024

// encoded is one stream message as every connection sends it: decoded once
// (for the scope checks, read only) and rendered once as SSE data, when the
// first connection whose scope allows it sends it (a desk's stream reads its
// whole district's whistle events but sends only its own whistles').
type encoded struct {
	seq  uint64
	raw  []byte
	ev   *eventsv1.Event
	name string

	once    sync.Once
	data    []byte
	dataErr error
}

// json is the event rendered as SSE data (once, whoever asks first).
func (e *encoded) json() ([]byte, error) {
	e.once.Do(func() {
		e.data, e.dataErr = jsonOpts.Marshal(e.ev)
		if e.dataErr != nil {
			e.dataErr = fmt.Errorf("encode event %s: %w", e.ev.GetId(), e.dataErr)
		}
	})
	return e.data, e.dataErr
}

// encodings caches the last encodedSlots messages by stream position, so that
// an event seen by many connections is decoded and encoded once. The zero
// value is ready to use.
type encodings struct {
	mu    sync.Mutex
	slots [encodedSlots]*encoded
}

// get returns the message at stream position seq with payload raw, decoding
// it unless a connection already did. The payload is compared
// too: a stream recreated since reuses positions.
func (c *encodings) get(seq uint64, raw []byte) (*encoded, error) {
	i := seq % encodedSlots
	c.mu.Lock()
	e := c.slots[i]
	c.mu.Unlock()
	if e != nil && e.seq == seq && bytes.Equal(e.raw, raw) {
		return e, nil
	}
	ev := &eventsv1.Event{}
	if err := proto.Unmarshal(raw, ev); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	e = &encoded{seq: seq, raw: raw, ev: ev, name: events.Name(ev)}
	c.mu.Lock()
	c.slots[i] = e
	c.mu.Unlock()
	return e, nil
}
