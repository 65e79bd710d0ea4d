//go:build !linux

package authz

// newSlots returns n zeroed slots from the Go heap (see slots_linux.go).
func newSlots(n int) (s []slot, mem []byte) { return make([]slot, n), nil }

// freeSlots does nothing: the garbage collector frees heap slots.
func freeSlots(mem []byte) {}
