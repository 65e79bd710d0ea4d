package keyhold

import "context"

// The LDAP directory (docs/ldap.md): a read-only view of system accounts,
// active users and teams, which legacy clients (SSSD, a NAS, Jenkins,
// Grafana's LDAP login) bind to with a system account's app-password
// token. These types are the contract between the protocol layer
// (internal/ldapserver, over an LDAP server library) and the service,
// which decides every bind and every search; the library never sees
// keyhold's data or rules.

// DefaultDirectoryBase is the directory's base DN unless configured.
const DefaultDirectoryBase = "dc=keyhold,dc=local"

// PeopleRDNs are the attributes a person's entry may be named by, under
// ou=people: each holds the person's email. cn is the default.
var PeopleRDNs = []string{"cn", "uid", "mail"}

// ValidPeopleRDN reports whether attr may name people's entries.
func ValidPeopleRDN(attr string) bool {
	for _, a := range PeopleRDNs {
		if a == attr {
			return true
		}
	}
	return false
}

// Default first POSIX numbers: uidNumber of accounts and users (and the
// gidNumber of each one's private group), and gidNumber of teams.
const (
	DefaultUIDStart = 2000
	DefaultGIDStart = 4000
)

// Search scopes, as RFC 4511 numbers them.
const (
	ScopeBase = 0 // the base entry only
	ScopeOne  = 1 // its immediate children
	ScopeSub  = 2 // the base and everything under it
)

// FilterOp is the kind of an RFC 4515 filter node.
type FilterOp string

// Filter kinds. Approx is evaluated as equality; Extensible is refused
// with unwillingToPerform.
const (
	FilterAnd        FilterOp = "and"
	FilterOr         FilterOp = "or"
	FilterNot        FilterOp = "not"
	FilterEqual      FilterOp = "equal"
	FilterPresent    FilterOp = "present"
	FilterSubstrings FilterOp = "substrings"
	FilterGreater    FilterOp = "ge"
	FilterLess       FilterOp = "le"
	FilterApprox     FilterOp = "approx"
	FilterExtensible FilterOp = "extensible"
)

// Filter is a parsed search filter. The protocol layer builds it from the
// library's parse; the service evaluates it.
type Filter struct {
	Op FilterOp
	// Children of And and Or (one or more), and the one child of Not.
	Children []*Filter
	// Attr is the attribute of every other kind, as the client wrote it;
	// names compare case-insensitively.
	Attr string
	// Value of Equal, Greater, Less and Approx.
	Value string
	// Initial, Any and Final of Substrings; Initial and Final may be
	// empty, Any may be nil.
	Initial string
	Any     []string
	Final   string
}

// DirectorySearch is one search request.
type DirectorySearch struct {
	BaseDN string
	Scope  int
	Filter *Filter
	// Attributes asked for; empty or "*" for every user attribute, "1.1"
	// for none. Names compare case-insensitively.
	Attributes []string
	// SizeLimit is the client's limit, 0 for none; the service applies
	// its own cap (1000) as well.
	SizeLimit int
	// PageSize and Cookie are the RFC 2696 paged-results control's, when
	// the client sent it: PageSize 0 means no paging.
	PageSize int
	Cookie   []byte
}

// DirectoryAttribute is one attribute of an entry, values in order.
type DirectoryAttribute struct {
	Name   string
	Values []string
}

// DirectoryEntry is one entry of a search result.
type DirectoryEntry struct {
	DN         string
	Attributes []DirectoryAttribute
}

// DirectoryResult is a search's answer: its entries, and with paging the
// cookie of the next page (empty on the last). SizeLimitExceeded is set
// when the entries were cut at the size limit (LDAP result 4).
type DirectoryResult struct {
	Entries           []DirectoryEntry
	Cookie            []byte
	SizeLimitExceeded bool
}

// LDAP result codes the service's errors map to, for the protocol layer:
// the service returns *Error with these codes and the layer answers with
// the LDAP result named beside each.
//
//	EUNAUTHENTICATED -> invalidCredentials (49), no hint of the reason
//	EFORBIDDEN       -> insufficientAccessRights (50)
//	ENOTFOUND        -> noSuchObject (32)
//	EINVALID         -> protocolError (2), or invalidDNSyntax (34) when its
//	                    field is the DN or the search base
//	ERATELIMITED     -> busy (51)
//	EUNAVAILABLE     -> unavailable (52)
//	EUNWILLING (below) -> unwillingToPerform (53)
const EUNWILLING = "unwilling"

// DirectoryService serves the LDAP directory. The context of each call
// carries the client's RequestInfo: its address (for allowed_cidrs and the
// failed-authentication limits), UserAgent "ldap", and whether the
// connection is encrypted.
type DirectoryService interface {
	// Bind checks a simple bind: dn is cn=<account>,ou=users,<base> or
	// uid=<account>,ou=users,<base>, password an app-password token of
	// that account. It returns the principal the connection acts as from
	// then on. Every refusal is EUNAUTHENTICATED with the same message;
	// the audit event (ldap.bind) records the real reason. Binds are
	// decided afresh every time: no bind outlives a revocation.
	Bind(ctx context.Context, dn, password string) (*Principal, error)
	// BoundDN is the DN of a principal Bind returned, for WhoAmI.
	BoundDN(p *Principal) string
	// Search answers a search by the principal in ctx. Anonymous (no
	// principal) is refused with EUNAUTHENTICATED: it may read only the
	// RootDSE and the schema entry, which the protocol layer serves, and
	// the layer answers its other searches insufficientAccessRights (50).
	Search(ctx context.Context, s DirectorySearch) (*DirectoryResult, error)
}
