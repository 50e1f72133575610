package run

import (
	"fmt"
	"strconv"
)

// MemoryLimitEnv is the container's memory limit in MiB, which the chart
// passes from the downward API (resourceFieldRef limits.memory, divisor 1Mi).
const MemoryLimitEnv = "WHISTLE_MEMORY_LIMIT_MIB"

// memoryLimitShare is the part of the container's limit the Go heap may
// grow to before the collector works harder; the rest is headroom for what
// the runtime does not count (the binary's pages, kernel buffers).
const memoryLimitShare = 0.9

// memoryLimit is the soft memory limit (bytes) for the Go runtime: 90 % of
// the container's limit given in MemoryLimitEnv, or 0 (leave it alone) when
// that is unset or GOMEMLIMIT is set explicitly.
func memoryLimit(getenv func(string) string) (int64, error) {
	v := getenv(MemoryLimitEnv)
	if v == "" || getenv("GOMEMLIMIT") != "" {
		return 0, nil
	}
	mib, err := strconv.ParseInt(v, 10, 64)
	if err != nil || mib <= 0 {
		return 0, fmt.Errorf("%s must be a positive number of MiB, got %q", MemoryLimitEnv, v)
	}
	return int64(float64(mib<<20) * memoryLimitShare), nil
}

// limitedGCPercent is the collector's target (GOGC) when a soft memory limit
// is in force: the heap may grow to five times what is live between two
// collections. The services' live heaps are a few tens of MiB and they
// allocate briskly (protobuf, JSON), so at the default of 100 the collector
// took 10–25 % of each service's CPU under load; the limit still makes it
// collect early when the heap nears the container's memory.
const limitedGCPercent = 400

// gcPercent is the GOGC to set, or 0 to leave the runtime's: limitedGCPercent
// when a memory limit applies (limit > 0, or GOMEMLIMIT set) and GOGC is not
// set explicitly.
func gcPercent(getenv func(string) string, limit int64) int {
	if getenv("GOGC") != "" || (limit <= 0 && getenv("GOMEMLIMIT") == "") {
		return 0
	}
	return limitedGCPercent
}
