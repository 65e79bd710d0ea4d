package ldapserver

import (
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/ldapfilter"
)

// The RootDSE and the schema entry are the protocol's, not the
// directory's: they describe the server, anyone (anonymous included) may
// read them, and the service never sees these searches.

// ownEntry reports whether a search is for the RootDSE (base "", scope
// base) or the schema entry, and which entry it finds: nil when the search
// is one of these but names no entry (a one-level search of the schema
// entry, which has no children).
func (s *Server) ownEntry(req keyhold.DirectorySearch) (*keyhold.DirectoryEntry, bool) {
	base := strings.TrimSpace(req.BaseDN)
	switch {
	case base == "" && req.Scope == keyhold.ScopeBase:
		e := s.rootDSE()
		return &e, true
	case strings.EqualFold(strings.ReplaceAll(base, " ", ""), SubschemaDN):
		if req.Scope == keyhold.ScopeOne {
			return nil, true
		}
		e := subschema()
		return &e, true
	}
	return nil, false
}

func (s *Server) rootDSE() keyhold.DirectoryEntry {
	return keyhold.DirectoryEntry{DN: "", Attributes: []keyhold.DirectoryAttribute{
		{Name: "objectClass", Values: []string{"top"}},
		{Name: "namingContexts", Values: []string{s.cfg.Base}},
		{Name: "supportedLDAPVersion", Values: []string{"3"}},
		{Name: "supportedControl", Values: []string{OIDPagedResults}},
		{Name: "supportedExtension", Values: []string{OIDStartTLS, OIDWhoAmI}},
		{Name: "subschemaSubentry", Values: []string{SubschemaDN}},
		{Name: "vendorName", Values: []string{"keyhold"}},
	}}
}

// The schema of the classes the directory serves, in RFC 4512 form, with
// the standard OIDs (RFC 4519, RFC 2798, RFC 2307bis).
var (
	schemaAttributeTypes = []string{
		"( 2.5.4.0 NAME 'objectClass' EQUALITY objectIdentifierMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.38 )",
		"( 2.5.4.41 NAME 'name' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
		"( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )",
		"( 2.5.4.4 NAME ( 'sn' 'surname' ) SUP name )",
		"( 2.5.4.13 NAME 'description' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
		"( 2.5.4.31 NAME 'member' SUP distinguishedName )",
		"( 2.5.4.49 NAME 'distinguishedName' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )",
		"( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
		"( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )",
		"( 2.16.840.1.113730.3.1.241 NAME 'displayName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )",
		"( 1.3.6.1.1.16.4 NAME 'entryUUID' EQUALITY UUIDMatch ORDERING UUIDOrderingMatch SYNTAX 1.3.6.1.1.16.1 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )",
		"( 1.2.840.113556.1.2.102 NAME 'memberOf' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )",
		"( 1.3.6.1.1.1.1.0 NAME 'uidNumber' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )",
		"( 1.3.6.1.1.1.1.1 NAME 'gidNumber' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )",
		"( 1.3.6.1.1.1.1.2 NAME 'gecos' EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )",
		"( 1.3.6.1.1.1.1.3 NAME 'homeDirectory' EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )",
		"( 1.3.6.1.1.1.1.4 NAME 'loginShell' EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )",
		"( 1.3.6.1.1.1.1.12 NAME 'memberUid' EQUALITY caseExactIA5Match SUBSTR caseExactIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )",
	}
	schemaObjectClasses = []string{
		"( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
		"( 2.5.20.1 NAME 'subschema' AUXILIARY MAY ( objectClasses $ attributeTypes ) )",
		"( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( description ) )",
		"( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL )",
		"( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( displayName $ mail $ uid ) )",
		"( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY MUST ( cn $ uid $ uidNumber $ gidNumber $ homeDirectory ) MAY ( loginShell $ gecos $ description ) )",
		"( 1.3.6.1.1.1.2.2 NAME 'posixGroup' SUP top AUXILIARY MUST ( cn $ gidNumber ) MAY ( memberUid $ description ) )",
		"( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST cn MAY ( member $ description ) )",
	}
)

func subschema() keyhold.DirectoryEntry {
	return keyhold.DirectoryEntry{DN: SubschemaDN, Attributes: []keyhold.DirectoryAttribute{
		{Name: "objectClass", Values: []string{"top", "subschema"}},
		{Name: "cn", Values: []string{"Subschema"}},
		{Name: "attributeTypes", Values: schemaAttributeTypes},
		{Name: "objectClasses", Values: schemaObjectClasses},
	}}
}

// matches evaluates a filter against one of the two entries above, by
// the directory's own rules (internal/ldapfilter).
func matches(f *keyhold.Filter, e *keyhold.DirectoryEntry) bool { return ldapfilter.Entry(f, *e) }

// selectAttributes keeps the attributes asked for: every one for none,
// "*" or "+" (these entries' attributes are all returned as if user
// attributes, which is what clients that read them expect), none for
// "1.1"; without values when typesOnly.
func selectAttributes(e keyhold.DirectoryEntry, asked []string, typesOnly bool) keyhold.DirectoryEntry {
	all := len(asked) == 0
	want := map[string]bool{}
	for _, a := range asked {
		switch a {
		case "*", "+":
			all = true
		case "1.1":
		default:
			want[strings.ToLower(a)] = true
		}
	}
	out := keyhold.DirectoryEntry{DN: e.DN}
	for _, a := range e.Attributes {
		if !all && !want[strings.ToLower(a.Name)] {
			continue
		}
		if len(a.Values) == 0 && !typesOnly {
			continue
		}
		if typesOnly {
			a = keyhold.DirectoryAttribute{Name: a.Name}
		}
		out.Attributes = append(out.Attributes, a)
	}
	return out
}
