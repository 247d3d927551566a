package client

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

func New(pool *x509.CertPool) *http.Client {
	// ruleid: idp.go.tls-insecure-skip-verify
	insecure := &tls.Config{InsecureSkipVerify: true}
	// ok: idp.go.tls-insecure-skip-verify
	secure := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	cfg := secure.Clone()
	// ruleid: idp.go.tls-insecure-skip-verify
	cfg.InsecureSkipVerify = true
	_ = insecure
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}
