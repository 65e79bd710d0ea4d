package authz

// ParseUUIDForTest exposes parseUUID to the tests.
var ParseUUIDForTest = parseUUID
