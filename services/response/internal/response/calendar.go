package response

import (
	"time"
)

// Shanghai is Asia/Shanghai: UTC+8 all year, without daylight saving since
// 1991, so a fixed zone is exact for every date the service handles and needs
// no tz database on the host.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// DayKind says how a calendar day differs from the Monday-to-Friday rule.
type DayKind string

// Day kinds, as stored.
const (
	Holiday DayKind = "holiday"
	Workday DayKind = "workday"
)

// Default working hours, in Asia/Shanghai.
const (
	DefaultWorkStart = 9 * time.Hour
	DefaultWorkEnd   = 17 * time.Hour
)

// DateLayout is how calendar days are written.
const DateLayout = "2006-01-02"

// Calendar is the working-day calendar: Monday to Friday, except the special
// days (statutory holidays, and the weekend make-up working days of 调休),
// between WorkStart and WorkEnd Asia/Shanghai time.
type Calendar struct {
	// Special maps a date (DateLayout) to how it differs.
	Special map[string]DayKind
	// WorkStart and WorkEnd are the working hours, as offsets from midnight.
	WorkStart, WorkEnd time.Duration
}

func (c *Calendar) hours() (start, end time.Duration) {
	start, end = c.WorkStart, c.WorkEnd
	if end <= start || start < 0 || end > 24*time.Hour {
		return DefaultWorkStart, DefaultWorkEnd
	}
	return start, end
}

// DayLength is the working time of one working day.
func (c *Calendar) DayLength() time.Duration {
	start, end := c.hours()
	return end - start
}

// IsWorkingDay reports whether the Asia/Shanghai date of t is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	local := t.In(Shanghai)
	switch c.Special[local.Format(DateLayout)] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	wd := local.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// maxCalendarDays bounds AddWorkingTime on a calendar with no working day.
const maxCalendarDays = 3660

// AddWorkingTime is the instant work of working time after start: time is
// counted only inside working hours of working days. A start outside working
// hours counts from the next opening. Arithmetic is in Asia/Shanghai; the
// result is in UTC.
func (c *Calendar) AddWorkingTime(start time.Time, work time.Duration) time.Time {
	open, closing := c.hours()
	t := start.In(Shanghai)
	for range maxCalendarDays {
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Shanghai)
		if c.IsWorkingDay(midnight) {
			from, to := midnight.Add(open), midnight.Add(closing)
			if t.Before(from) {
				t = from
			}
			if t.Before(to) {
				if left := to.Sub(t); work <= left {
					return t.Add(work).UTC()
				}
				work -= to.Sub(t)
			}
		}
		t = midnight.AddDate(0, 0, 1)
	}
	return t.UTC()
}
