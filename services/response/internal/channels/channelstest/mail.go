package channelstest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Mail is one message the SMTP server accepted.
type Mail struct {
	From   string
	To     []string
	User   string
	TLS    bool
	Header mail.Header
	Body   string
}

// MailServer is a real SMTP server (github.com/emersion/go-smtp) on a free
// loopback port; with a certificate it offers STARTTLS, and AUTH PLAIN for
// User/Pass.
type MailServer struct {
	Addr       string
	User, Pass string
	mu         sync.Mutex
	got        []Mail
}

// Received is every message accepted so far.
func (m *MailServer) Received() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.got...)
}

// NewSession starts a session (smtp.Backend).
func (m *MailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &mailSession{srv: m, msg: Mail{TLS: isTLS}}, nil
}

type mailSession struct {
	srv *MailServer
	msg Mail
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.User || pass != s.srv.Pass {
			return errors.New("bad credentials")
		}
		s.msg.User = user
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.msg.From = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	s.msg.Header, s.msg.Body = m.Header, string(body)
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.msg)
	s.srv.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// StartMailServer serves until the test ends; with cert it offers STARTTLS.
func StartMailServer(t *testing.T, cert *tls.Certificate) *MailServer {
	t.Helper()
	m := &MailServer{User: "whistle", Pass: "mail-pass"}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}
