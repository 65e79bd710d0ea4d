// Package auditexport formats audit events as Konnect-compatible signed
// entries: flat JSON or CEF lines, each carrying an Ed25519 signature
// computed exactly by Konnect's rule, so that a receiver written to
// Konnect's documentation verifies them unchanged.
//
// Konnect's rule: the signature is Ed25519 (RFC 8032, pure) over the exact
// bytes of the entry without its signature field. In JSON that is the
// entry without `,"sig":"…"` (the object is compact, its keys sorted, sig
// last); in CEF the line without ` sig=…`. sig is base64url without
// padding: 86 characters. keyhold adds sig_kid, the JWK kid of the key,
// just before sig, so that it is signed too and a receiver can pick the
// key instead of trying each.
package auditexport

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
)

// Log formats, as a destination's log_format names them.
const (
	FormatJSON = keyhold.AuditFormatJSON
	FormatCEF  = keyhold.AuditFormatCEF
)

// Formats lists the log formats a destination may choose.
var Formats = []string{FormatCEF, FormatJSON, FormatOCSF}

// Header values of every entry: keyhold is the vendor and the product.
const (
	CEFVersion   = "0"
	Vendor       = "keyhold"
	Product      = "keyhold"
	EventVersion = "1.0"
)

// Signer signs entries with an entry key of the audit log.
type Signer struct {
	Key   ed25519.PrivateKey
	KeyID string // the key's JWK kid
}

// Formatter turns audit events into signed entries of one organization.
type Formatter struct {
	Signer
	// Host is the host name in a CEF line's prefix; "keyhold" when empty.
	Host  string
	OrgID string
}

// Format returns e as one signed entry in format, without a line break.
func (f *Formatter) Format(format string, e *keyhold.AuditEvent) ([]byte, error) {
	switch format {
	case FormatJSON:
		return f.JSON(e)
	case FormatCEF:
		return f.CEF(e), nil
	case FormatOCSF:
		return f.OCSF(e)
	}
	return nil, fmt.Errorf("audit export: unknown log format %q", format)
}

// Severity is an event's severity, 0 to 10, from its outcome: 1 for a
// success (Konnect's granted authorization), 6 for a refusal (Konnect's
// denied authorization, or a locked or disabled account), 7 for a failed
// attempt (Konnect's invalid authentication).
func Severity(e *keyhold.AuditEvent) int {
	switch e.Outcome {
	case keyhold.OutcomeDenied:
		return 6
	case keyhold.OutcomeFailure:
		return 7
	}
	return 1
}

// ClassID is an event's event_class_id: the noun of its action ("token"
// for token.created), as Konnect's names the service an event is about.
func ClassID(e *keyhold.AuditEvent) string {
	noun, _, _ := strings.Cut(e.Action, ".")
	return noun
}

// fields are an entry's fields other than the CEF header's, by name:
// strings, and integers for rt, seq, count.
func (f *Formatter) fields(e *keyhold.AuditEvent) map[string]any {
	m := map[string]any{
		"rt":      e.Time.UnixMilli(),
		"seq":     e.Seq,
		"count":   e.Count,
		"id":      e.ID,
		"action":  e.Action,
		"outcome": e.Outcome,
	}
	str := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	str("src", e.ClientIP)
	str("org_id", f.OrgID)
	str("principal_type", string(e.ActorType))
	str("principal_id", e.ActorID)
	str("principal_name", e.ActorName)
	str("trace_id", e.RequestID)
	str("user_agent", e.UserAgent)
	str("target_type", e.TargetType)
	str("target_id", e.TargetID)
	str("target_name", e.TargetName)
	str("subject_id", e.SubjectID)
	str("reason", e.Reason)
	str("credential_id", e.Credential.ID)
	str("credential_fingerprint", e.Credential.Fingerprint)
	str("auth_method", e.Credential.Method)
	if e.Hash != ([32]byte{}) {
		m["leaf_hash"] = hex.EncodeToString(e.Hash[:])
	}
	if c, err := keyhold.CanonicalChanges(e.Changes); err == nil && c != "" {
		m["changes"] = c
	}
	return m
}

// eventTS is Konnect's event_ts: RFC 3339 in UTC, to the second (rt has
// the milliseconds).
func eventTS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// JSON returns e as a flat JSON entry: compact, keys sorted, then sig_kid
// and sig.
func (f *Formatter) JSON(e *keyhold.AuditEvent) ([]byte, error) {
	m := f.fields(e)
	m["cef_version"] = CEFVersion
	m["event_vendor"] = Vendor
	m["event_product"] = Product
	m["event_version"] = EventVersion
	m["event_class_id"] = ClassID(e)
	m["name"] = e.Action
	m["severity"] = Severity(e)
	m["event_ts"] = eventTS(e.Time)
	return f.signJSON(m)
}

// CEF returns e as a CEF line: "{event_ts} {host} CEF:0|keyhold|keyhold|1.0|
// {class}|{name}|{severity}|" and the extension's key=value pairs, keys
// sorted, then sig_kid and sig. Header fields escape \ and |; extension
// values \, =, LF and CR.
func (f *Formatter) CEF(e *keyhold.AuditEvent) []byte {
	host := f.Host
	if host == "" {
		host = "keyhold"
	}
	var b strings.Builder
	b.WriteString(eventTS(e.Time) + " " + host + " CEF:" + CEFVersion)
	for _, h := range []string{Vendor, Product, EventVersion, ClassID(e), e.Action, strconv.Itoa(Severity(e))} {
		b.WriteString("|" + headerEscaper.Replace(h))
	}
	b.WriteString("|")
	m := f.fields(e)
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + extensionEscaper.Replace(fmt.Sprint(m[k])))
	}
	b.WriteString(" sig_kid=" + extensionEscaper.Replace(f.KeyID))
	signed := []byte(b.String())
	return append(append(signed, " sig="...), f.sign(signed)...)
}

var (
	headerEscaper    = strings.NewReplacer(`\`, `\\`, `|`, `\|`)
	extensionEscaper = strings.NewReplacer(`\`, `\\`, `=`, `\=`, "\n", `\n`, "\r", `\r`)
)

// sign returns the base64url, unpadded, Ed25519 signature of msg.
func (s *Signer) sign(msg []byte) string {
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(s.Key, msg))
}
