// Package embedded runs a NATS server with JetStream inside the process, for
// the `make run` launcher and tests. Services never import it: in production
// they connect to an external cluster, and their binaries do not link the
// server.
package embedded

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/chuishao/whistle/platform/bus"
)

// Server is an in-process NATS server with JetStream.
type Server struct {
	srv *server.Server
}

// Start starts a JetStream-enabled server storing under dir, listening on
// host:port (port -1 picks a free one). Without users anyone may connect and
// do anything; with users only they may, each a service user (see
// bus.PermissionsOf) or bus.UserAdmin.
func Start(dir, host string, port int, users ...bus.Credential) (*Server, error) {
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
		if c.User != bus.UserAdmin {
			p, err := bus.PermissionsOf(c.User)
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
	return &Server{srv: srv}, nil
}

// URL is the client URL of the server.
func (e *Server) URL() string { return e.srv.ClientURL() }

// Shutdown stops the server and waits for it.
func (e *Server) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
