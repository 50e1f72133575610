package bus

import (
	"context"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Runs is how a batch handler applies its events as if one by one in stream
// order while writing most of them set-based: the events inRun accepts are
// gathered into a run that applyRun writes together; any other event is
// applied alone by applyOne (with its own context, ContextOf) — after the
// pending run when it concerns one of the run's whistles or names none (the
// run is cut there), before it otherwise, since events of different whistles
// commute. whistleOf names the whistle an event is about ("" for none).
func Runs(ctx context.Context, evs []*eventsv1.Event,
	inRun func(*eventsv1.Event) bool, whistleOf func(*eventsv1.Event) string,
	applyRun func([]*eventsv1.Event) error, applyOne func(context.Context, *eventsv1.Event) error,
) error {
	var run []*eventsv1.Event
	whistles := map[string]bool{} // the run's whistles
	for _, ev := range evs {
		id := whistleOf(ev)
		if inRun(ev) {
			run = append(run, ev)
			whistles[id] = true
			continue
		}
		if id == "" || whistles[id] {
			if err := applyRun(run); err != nil {
				return err
			}
			run, whistles = nil, map[string]bool{}
		}
		if err := applyOne(ContextOf(ctx, ev), ev); err != nil {
			return err
		}
	}
	return applyRun(run)
}
