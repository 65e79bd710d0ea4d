package authz

// ParseUUIDForTest exposes parseUUID to the tests.
var ParseUUIDForTest = parseUUID

// HasUpperForTest exposes hasUpper to the tests.
var HasUpperForTest = hasUpper
