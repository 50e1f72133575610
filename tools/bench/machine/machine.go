// Package machine describes the machine a benchmark ran on, for the figures'
// reports (docs/benchmarks.md).
package machine

import (
	"fmt"
	"os"
	"strings"
)

// LoadAverage is the 1, 5 and 15 minute load average from /proc/loadavg,
// e.g. "load average 1.20 0.80 0.50"; "" where there is none.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return fmt.Sprintf("load average %s %s %s", f[0], f[1], f[2])
}
