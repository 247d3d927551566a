package auth

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
)

func Fingerprints(data []byte) []string {
	// ruleid: idp.go.weak-crypto
	a := md5.Sum(data)
	// ruleid: idp.go.weak-crypto
	h := sha1.New()
	h.Write(data)
	// ok: idp.go.weak-crypto
	b := sha256.Sum256(data)
	return []string{hex.EncodeToString(a[:]), hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(b[:])}
}
