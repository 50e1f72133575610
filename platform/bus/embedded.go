package bus

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// UserAdmin is the one unrestricted user of a secured embedded server, for
// operators' tools and tests.
const UserAdmin = "admin"

// Credential is a NATS user name and password.
type Credential struct {
	User     string
	Password string
}

// NewCredentials are UserAdmin and every service user, each with a fresh
// random password: the users of a secured embedded server.
func NewCredentials() []Credential {
	var out []Credential
	for _, u := range append([]string{UserAdmin}, ServiceUsers...) {
		out = append(out, Credential{User: u, Password: rand.Text()})
	}
	return out
}

// Embedded is an in-process NATS server with JetStream, for `make run` and tests.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a JetStream-enabled server storing under dir, listening
// on host:port (port -1 picks a free one). Without users anyone may connect
// and do anything; with users only they may, each a service user (see
// PermissionsOf) or UserAdmin.
func StartEmbedded(dir, host string, port int, users ...Credential) (*Embedded, error) {
	opts := &server.Options{
		ServerName: "whistle-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
	}
	for _, c := range users {
		u := &server.User{Username: c.User, Password: c.Password}
		if c.User != UserAdmin {
			p, err := PermissionsOf(c.User)
			if err != nil {
				return nil, fmt.Errorf("embedded nats: %w", err)
			}
			u.Permissions = &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: p.Publish, Deny: p.PublishDeny},
				Subscribe: &server.SubjectPermission{Allow: p.Subscribe},
			}
		}
		opts.Users = append(opts.Users, u)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready within 10s")
	}
	return &Embedded{srv: srv}, nil
}

// URL is the client URL of the server.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
