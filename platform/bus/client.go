package bus

import (
	"fmt"

	"github.com/nats-io/nats.go"
)

// Client is how a service authenticates to NATS and secures the connection,
// read from the environment by the services' configs. With none of it set the
// connection is anonymous and plain (a dev server without users).
type Client struct {
	// User and Password are the service's NATS user (one per service, see
	// PermissionsOf); the user also names the connection's reply inboxes.
	User     string `env:"NATS_USER"`
	Password string `env:"NATS_PASSWORD"`
	// Creds is a credentials file (user JWT and nkey seed) for a server in
	// operator mode; InboxUser then names the inbox prefix its permissions allow.
	Creds     string `env:"NATS_CREDS"`
	InboxUser string `env:"NATS_INBOX_USER"`
	// CA verifies the server's certificate; Cert and Key are the client's own
	// certificate for servers that require mutual TLS.
	CA   string `env:"NATS_CA"`
	Cert string `env:"NATS_CERT"`
	Key  string `env:"NATS_KEY"`
}

// Options are the nats.go options of c.
func (c Client) Options() []nats.Option {
	var opts []nats.Option
	if c.User != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if inbox := c.inboxUser(); inbox != "" {
		opts = append(opts, nats.CustomInboxPrefix(InboxPrefix(inbox)))
	}
	if c.CA != "" {
		opts = append(opts, nats.RootCAs(c.CA))
	}
	if c.Cert != "" || c.Key != "" {
		opts = append(opts, nats.ClientCert(c.Cert, c.Key))
	}
	return opts
}

// Validate reports a half-given setting by variable name.
func (c Client) Validate() error {
	switch {
	case c.User != "" && c.Password == "":
		return fmt.Errorf("NATS_PASSWORD is required with NATS_USER")
	case (c.Cert == "") != (c.Key == ""):
		return fmt.Errorf("NATS_CERT and NATS_KEY go together")
	}
	return nil
}

func (c Client) inboxUser() string {
	if c.InboxUser != "" {
		return c.InboxUser
	}
	return c.User
}
