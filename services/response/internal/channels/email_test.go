package channels_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/channels"
)

// received is one message the SMTP server accepted.
type received struct {
	from   string
	to     []string
	user   string
	tls    bool
	header mail.Header
	body   string
}

// mailServer is a real SMTP server (github.com/emersion/go-smtp) on a free
// loopback port; with cert it offers STARTTLS and AUTH PLAIN for user/pass.
type mailServer struct {
	got  chan received
	user string
	pass string
}

func (m *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &mailSession{srv: m, msg: received{tls: isTLS}}, nil
}

type mailSession struct {
	srv *mailServer
	msg received
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return errors.New("bad credentials")
		}
		s.msg.user = user
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.msg.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
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
	s.msg.header, s.msg.body = m.Header, string(body)
	s.srv.got <- s.msg
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// startMailServer serves until the test ends; with tlsCert it offers STARTTLS.
func startMailServer(t *testing.T, tlsCert *tls.Certificate) (*mailServer, string) {
	t.Helper()
	m := &mailServer{got: make(chan received, 4), user: "whistle", pass: "mail-pass"}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if tlsCert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*tlsCert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m, ln.Addr().String()
}

// selfSigned is a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestEmailReachesALocalServerWithoutTLS(t *testing.T) {
	t.Parallel()
	m, addr := startMailServer(t, nil)
	s := channels.Sender{SMTP: channels.SMTP{Addr: addr, From: "whistle@example.gov.cn"}}
	_, err := s.Send(context.Background(), message(channels.Email, zhang), at)
	require.NoError(t, err)
	got := <-m.got
	require.Equal(t, "whistle@example.gov.cn", got.from)
	require.Equal(t, []string{"zhang@example.com"}, got.to)
	require.False(t, got.tls)
	subject, err := new(mime.WordDecoder).DecodeHeader(got.header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "【督办】派单 d-1", subject)
	to, err := got.header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "张三", Address: "zhang@example.com"}}, to)
	require.Equal(t, "<del-1@example.gov.cn>", got.header.Get("Message-ID"))
	require.Equal(t, "quoted-printable", got.header.Get("Content-Transfer-Encoding"))
}

func TestEmailUpgradesWithStartTLSAndAuthenticates(t *testing.T) {
	t.Parallel()
	cert, roots := selfSigned(t)
	m, addr := startMailServer(t, &cert)
	s := channels.Sender{SMTP: channels.SMTP{
		Addr: addr, From: "whistle@example.gov.cn", Username: "whistle", Password: "mail-pass", StartTLS: "require",
		TLS: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12},
	}}
	_, err := s.Send(context.Background(), message(channels.Email, zhang), at)
	require.NoError(t, err)
	got := <-m.got
	require.True(t, got.tls, "the message went over STARTTLS")
	require.Equal(t, "whistle", got.user)
}

func TestEmailRequiringTLSRefusesAServerWithout(t *testing.T) {
	t.Parallel()
	_, addr := startMailServer(t, nil)
	s := channels.Sender{SMTP: channels.SMTP{Addr: addr, From: "whistle@example.gov.cn", StartTLS: "require"}}
	_, err := s.Send(context.Background(), message(channels.Email, zhang), at)
	require.ErrorContains(t, err, "STARTTLS")
}
