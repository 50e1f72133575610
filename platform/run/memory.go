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
