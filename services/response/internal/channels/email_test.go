package channels_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/channels/channelstest"
)

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
	m := channelstest.StartMailServer(t, nil)
	s := channels.Sender{SMTP: channels.SMTP{Addr: m.Addr, From: "whistle@example.gov.cn"}}
	_, err := s.Send(context.Background(), message(channels.Email, zhang), at)
	require.NoError(t, err)
	require.Len(t, m.Received(), 1)
	got := m.Received()[0]
	require.Equal(t, "whistle@example.gov.cn", got.From)
	require.Equal(t, []string{"zhang@example.com"}, got.To)
	require.False(t, got.TLS)
	subject, err := new(mime.WordDecoder).DecodeHeader(got.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "【督办】派单 d-1", subject)
	to, err := got.Header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "张三", Address: "zhang@example.com"}}, to)
	require.Equal(t, "<del-1@example.gov.cn>", got.Header.Get("Message-ID"))
	require.Equal(t, "quoted-printable", got.Header.Get("Content-Transfer-Encoding"))
	require.Contains(t, got.Body, "=E3=80=90", "UTF-8 text, quoted-printable")
}

func TestEmailUpgradesWithStartTLSAndAuthenticates(t *testing.T) {
	t.Parallel()
	cert, roots := selfSigned(t)
	m := channelstest.StartMailServer(t, &cert)
	s := channels.Sender{SMTP: channels.SMTP{
		Addr: m.Addr, From: "whistle@example.gov.cn", Username: "whistle", Password: "mail-pass", StartTLS: "require",
		TLS: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12},
	}}
	_, err := s.Send(context.Background(), message(channels.Email, zhang), at)
	require.NoError(t, err)
	require.Len(t, m.Received(), 1)
	got := m.Received()[0]
	require.True(t, got.TLS, "the message went over STARTTLS")
	require.Equal(t, "whistle", got.User)
}

func TestEmailRequiringTLSRefusesAServerWithout(t *testing.T) {
	t.Parallel()
	m := channelstest.StartMailServer(t, nil)
	s := channels.Sender{SMTP: channels.SMTP{Addr: m.Addr, From: "whistle@example.gov.cn", StartTLS: "require"}}
	_, err := s.Send(context.Background(), message(channels.Email, zhang), at)
	require.ErrorContains(t, err, "STARTTLS")
}
