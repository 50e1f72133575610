package grpcserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// TLS secures the gRPC connections between the services. A service presents
// Cert/Key as a server (and, as a client, to servers that ask for it) and
// trusts the servers — and with ClientAuth the clients — that CA signed.
// Nothing set means plaintext, as in dev and tests.
type TLS struct {
	CA   string `env:"WHISTLE_GRPC_TLS_CA"`
	Cert string `env:"WHISTLE_GRPC_TLS_CERT"`
	Key  string `env:"WHISTLE_GRPC_TLS_KEY"`
	// ClientAuth makes the server require a client certificate signed by CA.
	ClientAuth bool `env:"WHISTLE_GRPC_TLS_CLIENT_AUTH, default=false"`
}

// Validate reports a half-given setting by variable name.
func (t TLS) Validate() error {
	switch {
	case (t.Cert == "") != (t.Key == ""):
		return errors.New("WHISTLE_GRPC_TLS_CERT and WHISTLE_GRPC_TLS_KEY go together")
	case t.ClientAuth && (t.CA == "" || t.Cert == ""):
		return errors.New("WHISTLE_GRPC_TLS_CLIENT_AUTH needs WHISTLE_GRPC_TLS_CA and a server certificate")
	}
	return nil
}

// ServerOptions are the server's transport credentials: none (plaintext)
// without a certificate.
func (t TLS) ServerOptions() ([]grpc.ServerOption, error) {
	if t.Cert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("grpc tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientAuth {
		if cfg.ClientCAs, err = loadPool(t.CA); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}, nil
}

// DialOption is the client's transport credentials: TLS trusting CA when it
// is set, plaintext otherwise.
func (t TLS) DialOption() (grpc.DialOption, error) {
	if t.CA == "" {
		return grpc.WithTransportCredentials(insecure.NewCredentials()), nil
	}
	pool, err := loadPool(t.CA)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("grpc tls: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg)), nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("grpc tls: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("grpc tls: no certificate in %s", file)
	}
	return pool, nil
}

// Dial is Dial with t's transport credentials.
func (t TLS) Dial(target string) (*grpc.ClientConn, error) {
	creds, err := t.DialOption()
	if err != nil {
		return nil, err
	}
	return Dial(target, creds)
}
