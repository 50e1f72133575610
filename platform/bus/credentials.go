package bus

import "crypto/rand"

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
