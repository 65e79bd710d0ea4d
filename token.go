package keyhold

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"math/big"
	"strings"
)

// Token values look like spat_<43 base62 characters of randomness><6 base62
// characters of CRC32 checksum>. The 43 characters encode exactly 256 random
// bits; the checksum lets secret scanners, and keyhold itself, reject
// garbage offline before any lookup. Total length after the prefix is 49,
// as in Konnect's examples.
const (
	tokenRandomLen   = 43
	tokenChecksumLen = 6
	tokenBodyLen     = tokenRandomLen + tokenChecksumLen
	base62Alphabet   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Prefix returns the wire prefix of a token kind, e.g. "spat_".
func (k TokenKind) Prefix() string { return string(k) + "_" }

// GenerateTokenValue returns a new random token value of kind k.
func GenerateTokenValue(k TokenKind) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	random := base62(new(big.Int).SetBytes(b[:]), tokenRandomLen)
	return k.Prefix() + random + tokenChecksum(k.Prefix()+random), nil
}

// ParseTokenValue reports the kind of a well-formed token value. It checks
// prefix, length, alphabet and checksum; it does not look anything up.
func ParseTokenValue(v string) (TokenKind, bool) {
	var kind TokenKind
	switch {
	case strings.HasPrefix(v, TokenKindSystemAccount.Prefix()):
		kind = TokenKindSystemAccount
	case strings.HasPrefix(v, TokenKindPersonal.Prefix()):
		kind = TokenKindPersonal
	default:
		return "", false
	}
	body := v[len(kind.Prefix()):]
	if len(body) != tokenBodyLen {
		return "", false
	}
	// Branch-free alphabet check: any byte outside base62 maps to -1, whose
	// sign bit survives the OR.
	var bad int8
	for i := 0; i < len(body); i++ {
		bad |= base62Digit[body[i]]
	}
	if bad < 0 {
		return "", false
	}
	var sum uint64
	for i := tokenRandomLen; i < len(body); i++ {
		sum = sum*62 + uint64(base62Digit[body[i]])
	}
	// crc32 on a []byte would make the string escape and allocate; the
	// byte-wise table loop over the string costs about as much.
	if uint64(^crcUpdate(^uint32(0), v[:len(v)-tokenChecksumLen])) != sum {
		return "", false
	}
	return kind, true
}

// base62Digit maps a byte to its base62 value, or -1.
var base62Digit = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base62Alphabet); i++ {
		t[base62Alphabet[i]] = int8(i)
	}
	return t
}()

// TokenDigest returns the SHA-256 digest under which a token is stored.
// Tokens carry 256 random bits, so a fast hash is enough; a slow KDF would
// only cost every request time.
func TokenDigest(v string) []byte {
	sum := TokenDigestArray(v)
	return sum[:]
}

// TokenDigestArray is TokenDigest as an array, computed without allocating,
// for the decision hot path.
func TokenDigestArray(v string) [32]byte {
	var buf [128]byte
	if len(v) <= len(buf) {
		n := copy(buf[:], v)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(v))
}

func tokenChecksum(s string) string {
	return base62(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(s)))), tokenChecksumLen)
}

// base62 encodes n as exactly width characters, left-padded with '0'.
func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(62)
	mod := new(big.Int)
	n = new(big.Int).Set(n)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62Alphabet[mod.Int64()]
	}
	return string(out)
}

// crcUpdate is crc32.Update with the IEEE polynomial over a string, so
// that the string need not become a []byte (which would allocate). It
// slices by 8, as the crc32 package does, to keep the token check cheap.
func crcUpdate(crc uint32, s string) uint32 {
	t := &slicing8
	for len(s) >= 8 {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = t[0][s[7]] ^ t[1][s[6]] ^ t[2][s[5]] ^ t[3][s[4]] ^
			t[4][crc>>24] ^ t[5][(crc>>16)&0xFF] ^ t[6][(crc>>8)&0xFF] ^ t[7][crc&0xFF]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		crc = t[0][byte(crc)^s[i]] ^ (crc >> 8)
	}
	return crc
}

var slicing8 = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := 0; i < 256; i++ {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xFF] ^ (crc >> 8)
			t[j][i] = crc
		}
	}
	return t
}()
