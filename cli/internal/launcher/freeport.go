package launcher

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Free ports are picked below the kernel's ephemeral range (by default
// 32768–60999). A port the kernel hands out for port 0 comes from that range,
// and so does the local port of every outgoing connection: between the check
// and the child's listen, another process's connection could take it (seen
// with several stacks starting on one machine). Below the range, only another
// listener can.
const lowestFreePort = 20000

var (
	handedOutMu sync.Mutex
	// handedOut keeps one plan from giving the same port to two listeners.
	handedOut = map[int]bool{}
)

// freeLoopbackAddr is a loopback address whose port is free now, below the
// ephemeral range and not handed out before by this process; 127.0.0.1:0
// (any port) when none is found.
func freeLoopbackAddr() string {
	handedOutMu.Lock()
	defer handedOutMu.Unlock()
	high := ephemeralLow() - 1
	for range 200 {
		port := lowestFreePort + rand.IntN(high-lowestFreePort+1)
		if handedOut[port] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		handedOut[port] = true
		return l.Addr().String()
	}
	return "127.0.0.1:0"
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// ip_local_port_range), or 32768 where it cannot be read or leaves no room
// below it.
func ephemeralLow() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if fields := strings.Fields(string(raw)); len(fields) == 2 {
			if low, err := strconv.Atoi(fields[0]); err == nil && low > lowestFreePort+1000 {
				return low
			}
		}
	}
	return 32768
}
