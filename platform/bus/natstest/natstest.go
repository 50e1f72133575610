// Package natstest starts a real, embedded NATS JetStream server per test.
package natstest

import (
	"testing"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/embedded"
)

// Start runs a fresh JetStream server for t on a free loopback port and returns
// its URL. Anyone may connect to it and do anything.
func Start(t testing.TB) string {
	t.Helper()
	srv, err := embedded.Start(t.TempDir(), "127.0.0.1", -1)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.URL()
}

// Secured is a server with one user per service, each limited to its own
// subjects (bus.PermissionsOf), and an unrestricted admin.
type Secured struct {
	URL   string
	creds map[string]bus.Credential
}

// StartSecured runs a fresh JetStream server for t with a random password per user.
func StartSecured(t testing.TB) *Secured {
	t.Helper()
	s := &Secured{creds: map[string]bus.Credential{}}
	users := bus.NewCredentials()
	for _, c := range users {
		s.creds[c.User] = c
	}
	srv, err := embedded.Start(t.TempDir(), "127.0.0.1", -1, users...)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	s.URL = srv.URL()
	return s
}

// Client is the connection settings of user (a service, or bus.UserAdmin).
func (s *Secured) Client(user string) bus.Client {
	c, ok := s.creds[user]
	if !ok {
		panic("natstest: no user " + user)
	}
	return bus.Client{User: c.User, Password: c.Password}
}

// Passwords are every user's password (for tests that check logs for secrets).
func (s *Secured) Passwords() []string {
	out := make([]string, 0, len(s.creds))
	for _, c := range s.creds {
		out = append(out, c.Password)
	}
	return out
}
