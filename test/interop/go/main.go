// Command interop-verifier checks DataPunk Audit's checkpoints, inclusion and consistency proofs and
// tlog-proof bundles with the Go reference code of the formats: golang.org/x/mod/sumdb/note (the
// origin of the C2SP signed-note format) and golang.org/x/mod/sumdb/tlog (an RFC 6962 / RFC 9162
// tree). Nothing of DataPunk Audit's own code is used (issue 13 part 7, ADR 0053).
//
// It reads one JSON request on standard input:
//
//	{"name": "<key name: the checkpoints' origin>", "publicKeyPem": "<Ed25519 SPKI PEM>", "checks": [
//	  {"kind": "checkpoint", "note": "..."},
//	  {"kind": "inclusion", "note": "...", "index": 0, "record": "<hex event hash>", "proof": ["<base64>", ...]},
//	  {"kind": "consistency", "oldNote": "...", "newNote": "...", "proof": ["<base64>", ...]},
//	  {"kind": "bundle", "bundle": "<c2sp.org/tlog-proof@v1 text>", "record": "<hex event hash>"}
//	]}
//
// and writes {"verifierKey": "<the C2SP verifier key note.NewEd25519VerifierKey derives>", "results":
// [...]}, one result per check in order: {"ok": true, "origin", "size", "root"} for a check that
// passed, {"ok": false, "error": "..."} for one that did not. The record of a leaf
// is the event's 32-byte hash, so its leaf hash is SHA-256(0x00 ‖ event hash) (tlog.RecordHash).
// Exit status 0 when the request was read (whatever the verdicts), 2 when it could not be.
//
// Built from Debian's golang-golang-x-mod-dev only: GO111MODULE=off GOPATH=/usr/share/gocode go build.
package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type check struct {
	Kind    string   `json:"kind"`
	Note    string   `json:"note"`
	OldNote string   `json:"oldNote"`
	NewNote string   `json:"newNote"`
	Index   int64    `json:"index"`
	Record  string   `json:"record"`
	Proof   []string `json:"proof"`
	Bundle  string   `json:"bundle"`
}

type request struct {
	Name         string  `json:"name"`
	PublicKeyPem string  `json:"publicKeyPem"`
	Checks       []check `json:"checks"`
}

type response struct {
	VerifierKey string   `json:"verifierKey"`
	Results     []result `json:"results"`
}

type result struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Origin string `json:"origin,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Root   string `json:"root,omitempty"`
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// openCheckpoint opens a signed note with the pinned key and reads its text as a C2SP
// tlog-checkpoint: origin (which must be the key's name), decimal size, base64 root hash.
func openCheckpoint(msg string, verifier note.Verifier) (checkpoint, error) {
	n, err := note.Open([]byte(msg), note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, fmt.Errorf("note: %w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return checkpoint{}, errors.New("checkpoint: fewer than three lines")
	}
	if lines[0] != verifier.Name() {
		return checkpoint{}, fmt.Errorf("checkpoint: origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("checkpoint: bad size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint: bad root hash: %w", err)
	}
	return checkpoint{origin: lines[0], size: size, root: root}, nil
}

func parseProof(lines []string) ([]tlog.Hash, error) {
	proof := make([]tlog.Hash, 0, len(lines))
	for _, l := range lines {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, fmt.Errorf("proof hash %q: %w", l, err)
		}
		proof = append(proof, h)
	}
	return proof, nil
}

func recordHash(hexHash string) (tlog.Hash, error) {
	data, err := hex.DecodeString(hexHash)
	if err != nil || len(data) != tlog.HashSize {
		return tlog.Hash{}, fmt.Errorf("record: %q is not a hex SHA-256 hash", hexHash)
	}
	return tlog.RecordHash(data), nil
}

func inclusion(msg string, index int64, record string, proofLines []string, verifier note.Verifier) (checkpoint, error) {
	cp, err := openCheckpoint(msg, verifier)
	if err != nil {
		return cp, err
	}
	leaf, err := recordHash(record)
	if err != nil {
		return cp, err
	}
	proof, err := parseProof(proofLines)
	if err != nil {
		return cp, err
	}
	if err := tlog.CheckRecord(proof, cp.size, cp.root, index, leaf); err != nil {
		return cp, fmt.Errorf("inclusion: %w", err)
	}
	return cp, nil
}

// parseBundle reads a C2SP tlog-proof: the header, an optional extra line, "index N", the proof
// hashes, a blank line, and the checkpoint note.
func parseBundle(text string) (index int64, proof []string, msg string, err error) {
	head, msg, found := strings.Cut(text, "\n\n")
	if !found {
		return 0, nil, "", errors.New("bundle: no blank line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return 0, nil, "", fmt.Errorf("bundle: header %q", lines[0])
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return 0, nil, "", errors.New("bundle: no index line")
	}
	index, err = strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil || index < 0 {
		return 0, nil, "", fmt.Errorf("bundle: bad index line %q", lines[0])
	}
	return index, lines[1:], msg, nil
}

func run(c check, verifier note.Verifier) (checkpoint, error) {
	switch c.Kind {
	case "checkpoint":
		return openCheckpoint(c.Note, verifier)
	case "inclusion":
		return inclusion(c.Note, c.Index, c.Record, c.Proof, verifier)
	case "consistency":
		older, err := openCheckpoint(c.OldNote, verifier)
		if err != nil {
			return older, fmt.Errorf("old %w", err)
		}
		newer, err := openCheckpoint(c.NewNote, verifier)
		if err != nil {
			return newer, fmt.Errorf("new %w", err)
		}
		proof, err := parseProof(c.Proof)
		if err != nil {
			return newer, err
		}
		if err := tlog.CheckTree(proof, newer.size, newer.root, older.size, older.root); err != nil {
			return newer, fmt.Errorf("consistency: %w", err)
		}
		return newer, nil
	case "bundle":
		index, proof, msg, err := parseBundle(c.Bundle)
		if err != nil {
			return checkpoint{}, err
		}
		return inclusion(msg, index, c.Record, proof, verifier)
	default:
		return checkpoint{}, fmt.Errorf("unknown check kind %q", c.Kind)
	}
}

// verifierKey is the C2SP verifier key of an Ed25519 public key in PEM (SubjectPublicKeyInfo).
func verifierKey(name, publicKeyPem string) (string, error) {
	block, _ := pem.Decode([]byte(publicKeyPem))
	if block == nil {
		return "", errors.New("the public key is not PEM")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("the public key: %w", err)
	}
	ed, ok := key.(ed25519.PublicKey)
	if !ok {
		return "", errors.New("the public key is not Ed25519")
	}
	return note.NewEd25519VerifierKey(name, ed)
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "interop-verifier: cannot read the request:", err)
		os.Exit(2)
	}
	vkey, err := verifierKey(req.Name, req.PublicKeyPem)
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop-verifier:", err)
		os.Exit(2)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop-verifier: bad verifier key:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(req.Checks))
	for _, c := range req.Checks {
		cp, err := run(c, verifier)
		if err != nil {
			results = append(results, result{OK: false, Error: err.Error()})
			continue
		}
		results = append(results, result{OK: true, Origin: cp.origin, Size: cp.size, Root: base64.StdEncoding.EncodeToString(cp.root[:])})
	}
	if err := json.NewEncoder(os.Stdout).Encode(response{VerifierKey: vkey, Results: results}); err != nil {
		fmt.Fprintln(os.Stderr, "interop-verifier:", err)
		os.Exit(2)
	}
}
