// Command go-oracle answers, for every case of the verify corpus, what Go's
// crypto/x509 decides: it parses the PEM files the way Kuma loads them
// (unparseable pool certificates are skipped, as CertPool.AppendCertsFromPEM
// does) and calls Certificate.Verify with the case's time, DNS name and
// extended key usage. Standard library only.
//
// Usage: go run ./test/corpus/verify/go-oracle test/fixtures/verify-corpus/cases.json
// Output: one JSON object per line: {"id", "parsed", "valid", "error"}.
package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

type corpusCase struct {
	ID            string   `json:"id"`
	Leaf          string   `json:"leaf"`
	Intermediates []string `json:"intermediates"`
	Roots         []string `json:"roots"`
	At            string   `json:"at"`
	Hostname      *string  `json:"hostname"`
	Usage         string   `json:"usage"`
}

type verdict struct {
	ID     string `json:"id"`
	Parsed bool   `json:"parsed"`
	Valid  bool   `json:"valid"`
	Error  string `json:"error,omitempty"`
	Go     string `json:"go"`
}

func parseFile(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return x509.ParseCertificate(block.Bytes)
}

func pool(dir string, files []string) *x509.CertPool {
	p := x509.NewCertPool()
	for _, f := range files {
		if c, err := parseFile(filepath.Join(dir, f)); err == nil {
			p.AddCert(c)
		}
	}
	return p
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-oracle cases.json")
		os.Exit(2)
	}
	manifestPath := os.Args[1]
	dir := filepath.Dir(manifestPath)
	raw, err := os.ReadFile(manifestPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var manifest struct {
		Cases []corpusCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	for _, c := range manifest.Cases {
		v := verdict{ID: c.ID, Go: runtime.Version()}
		leaf, err := parseFile(filepath.Join(dir, c.Leaf))
		if err != nil {
			v.Error = err.Error()
			_ = out.Encode(v)
			continue
		}
		v.Parsed = true
		at, err := time.Parse(time.RFC3339, c.At)
		if err != nil {
			fmt.Fprintln(os.Stderr, c.ID, err)
			os.Exit(1)
		}
		opts := x509.VerifyOptions{
			Roots:         pool(dir, c.Roots),
			Intermediates: pool(dir, c.Intermediates),
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if c.Usage == "client" {
			opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		if c.Hostname != nil {
			opts.DNSName = *c.Hostname
		}
		if _, err := leaf.Verify(opts); err != nil {
			v.Error = err.Error()
		} else {
			v.Valid = true
		}
		_ = out.Encode(v)
	}
}
