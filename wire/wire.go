// Package wire declares the JSON shapes of keyhold's HTTP API: Kong
// Konnect's Identity API v3 plus keyhold's extensions. The server encodes
// with them, the Go client decodes with them, and the tests read answers
// with them, so a field is named once. The field order is the order of
// the keys on the wire.
//
// The package imports only the standard library and the domain.
package wire

// PageMeta numbers one page of a list.
type PageMeta struct {
	Number int `json:"number"`
	Size   int `json:"size"`
	Total  int `json:"total"`
}

// ListMeta is the meta object of a list.
type ListMeta struct {
	Page PageMeta `json:"page"`
}

// List is one page of a list: Konnect's meta.page and data.
type List[T any] struct {
	Meta ListMeta `json:"meta"`
	Data []T      `json:"data"`
}

// PersonalAccessTokenList is the list of a user's personal access tokens,
// whose meta is PageMeta itself, without the page level, as Konnect's
// spec and example have it.
type PersonalAccessTokenList struct {
	Meta PageMeta              `json:"meta"`
	Data []PersonalAccessToken `json:"data"`
}
