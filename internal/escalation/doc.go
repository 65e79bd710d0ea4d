// Package escalation holds keyhold's escalation property test: random
// sequences of API and console calls by a principal that is not an
// organization admin must never leave it holding a credential that may do
// more than it could at the start. The package has no code of its own.
package escalation
