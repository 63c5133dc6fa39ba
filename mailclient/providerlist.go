package mailclient

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"aead.dev/minisign"

	"mailroom/data"
)

// SignatureFile is the minisign signature of a provider list's IndexFile, beside it.
const SignatureFile = IndexFile + ".minisig"

// MaxSignatureSize bounds the signature file; a minisign signature is about 300 bytes.
const MaxSignatureSize = 4 << 10

// trustedPrefix starts the trusted comment of every list Mailroom signs.
const trustedPrefix = "mailroom provider list"

// Reasons a copy of a provider list is refused as a whole.
var (
	ErrNoSignature  = errors.New("the provider list is not signed")
	ErrBadSignature = errors.New("the provider list's signature is not valid")
	ErrNoListKey    = errors.New("no publisher key to check the provider list with")
	ErrFileChanged  = errors.New("a file of the provider list does not match its index")
)

// ListIndex is what index.txt says: who may publish the list, and every file with its SHA-256.
type ListIndex struct {
	Publishers []data.Publisher
	Files      []ListFile
}

// ListFile is one clientConfig file of a list, by name (beside the index) and SHA-256 (hex).
type ListFile struct {
	Name   string
	SHA256 string
}

// SignedList is a copy of a provider list whose signature was checked.
type SignedList struct {
	Index       *ListIndex
	Sequence    int64
	SignedAt    time.Time
	Signer      string // the public key that signed it
	IndexSHA256 string
}

// MarshalText writes the index: a comment saying how to check it, one "publisher KEY NAME"
// line per publisher and one "file SHA256 NAME" line per file.
func (ix *ListIndex) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Provider list published by Mailroom. Check it with: minisign -Vm index.txt -P <a publisher's key>\n")
	for _, p := range ix.Publishers {
		fmt.Fprintf(&b, "publisher %s %s\n", p.PublicKey, p.Name)
	}
	for _, f := range ix.Files {
		fmt.Fprintf(&b, "file %s %s\n", f.SHA256, f.Name)
	}
	return b.Bytes(), nil
}

// parseListIndex reads an index written by MarshalText; anything else is ErrBadIndex.
func parseListIndex(b []byte) (*ListIndex, error) {
	if looksLikeHTML(b) || bytes.IndexByte(b, 0) >= 0 {
		return nil, fmt.Errorf("%w: it looks like a web page or a binary file", ErrBadIndex)
	}
	ix := &ListIndex{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, " ")
		first, second, _ := strings.Cut(rest, " ")
		switch kind {
		case "publisher":
			key, err := data.NormalizePublicKey(first)
			if err != nil || strings.TrimSpace(second) == "" {
				return nil, fmt.Errorf("%w: line %d: not a publisher's key and name", ErrBadIndex, n)
			}
			ix.Publishers = append(ix.Publishers, data.Publisher{PublicKey: key, Name: strings.TrimSpace(second)})
		case "file":
			if err := checkListFile(first, second); err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrBadIndex, n, err)
			}
			if seen[second] {
				return nil, fmt.Errorf("%w: line %d: %s is named twice", ErrBadIndex, n, second)
			}
			if len(ix.Files) == MaxListFiles {
				return nil, fmt.Errorf("%w: more than %d files", ErrBadIndex, MaxListFiles)
			}
			seen[second] = true
			ix.Files = append(ix.Files, ListFile{Name: second, SHA256: first})
		default:
			return nil, fmt.Errorf("%w: line %d: neither a publisher nor a file", ErrBadIndex, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadIndex, err)
	}
	if len(ix.Publishers) == 0 {
		return nil, fmt.Errorf("%w: it names no publisher", ErrBadIndex)
	}
	return ix, nil
}

// checkListFile accepts a hex SHA-256 and a plain .xml file name: no folder, not hidden.
func checkListFile(sum, name string) error {
	if len(sum) != sha256.Size*2 || strings.Trim(sum, "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not a SHA-256", sum)
	}
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") ||
		!strings.HasSuffix(strings.ToLower(name), ".xml") {
		return fmt.Errorf("%q is not the name of a clientConfig file beside the index", name)
	}
	return nil
}

// signList signs index with key; the trusted comment carries seq and at, so that a
// subscriber can refuse an older copy.
func signList(key minisign.PrivateKey, index []byte, seq int64, at time.Time) []byte {
	r := minisign.NewReader(bytes.NewReader(index))
	io.Copy(io.Discard, r) // reading from memory cannot fail
	trusted := fmt.Sprintf("%s sequence:%d time:%s", trustedPrefix, seq, at.UTC().Format(time.RFC3339))
	return r.SignWithComments(key, trusted, "signature of a Mailroom provider list")
}

// verifyList checks that sig is a valid signature of index by one of trusted and that the
// index is one, and returns what the signed copy says. It fails with ErrNoSignature (sig
// empty), ErrBadSignature, data.ErrNotTrusted (signed by another key), ErrNoListKey (trusted
// is empty) or ErrBadIndex.
func verifyList(index, sig []byte, trusted []data.Publisher) (*SignedList, error) {
	if len(bytes.TrimSpace(sig)) == 0 {
		return nil, ErrNoSignature
	}
	if len(trusted) == 0 {
		return nil, ErrNoListKey
	}
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	signer := ""
	for _, p := range trusted {
		k, err := data.ParsePublicKey(p.PublicKey)
		if err == nil && k.ID() == s.KeyID && minisign.Verify(k, index, sig) {
			signer = p.PublicKey
			break
		}
	}
	if signer == "" {
		for _, p := range trusted {
			if k, err := data.ParsePublicKey(p.PublicKey); err == nil && k.ID() == s.KeyID {
				return nil, fmt.Errorf("%w: it does not match the index", ErrBadSignature)
			}
		}
		return nil, fmt.Errorf("signed by key %X: %w", s.KeyID, data.ErrNotTrusted)
	}
	seq, at, err := parseTrustedComment(s.TrustedComment)
	if err != nil {
		return nil, err
	}
	ix, err := parseListIndex(index)
	if err != nil {
		return nil, err
	}
	return &SignedList{Index: ix, Sequence: seq, SignedAt: at, Signer: signer, IndexSHA256: sha256Hex(index)}, nil
}

// parseTrustedComment reads "mailroom provider list sequence:N time:RFC3339".
func parseTrustedComment(c string) (int64, time.Time, error) {
	rest, ok := strings.CutPrefix(c, trustedPrefix+" ")
	seqText, timeText, _ := strings.Cut(rest, " ")
	seqText, ok1 := strings.CutPrefix(seqText, "sequence:")
	timeText, ok2 := strings.CutPrefix(timeText, "time:")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	at, terr := time.Parse(time.RFC3339, timeText)
	if !ok || !ok1 || !ok2 || err != nil || terr != nil || seq <= 0 {
		return 0, time.Time{}, fmt.Errorf("%w: the trusted comment %q carries no list number and time", ErrBadSignature, c)
	}
	return seq, at, nil
}

// signedCopy is what the store needs of a verified list.
func (l *SignedList) signedCopy() *data.SignedCopy {
	return &data.SignedCopy{Sequence: l.Sequence, SignedAt: l.SignedAt, SignedBy: l.Signer,
		IndexSHA256: l.IndexSHA256, Publishers: l.Index.Publishers}
}

// checkFile fails with ErrFileChanged unless b is the file f of the index.
func checkFile(f ListFile, b []byte) error {
	if sha256Hex(b) != f.SHA256 {
		return fmt.Errorf("%w: %s was changed after it was published", ErrFileChanged, f.Name)
	}
	return nil
}
