package authz

import (
	"syscall"
	"unsafe"
)

// newSlots returns n zeroed slots. On Linux they live outside the Go heap,
// in an anonymous mapping the kernel may back with transparent huge pages
// (MADV_HUGEPAGE; honoured when THP is "always" or "madvise"): a lookup at
// a million tokens then costs a cache miss but rarely a TLB miss, and the
// heap the garbage collector paces itself by holds no token table. A slot
// holds no pointer, so the collector need not see it. mem is nil when the
// slots come from the Go heap instead (a mapping refused).
func newSlots(n int) (s []slot, mem []byte) {
	size := n * int(unsafe.Sizeof(slot{}))
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]slot, n), nil
	}
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // advice: without THP it changes nothing
	return unsafe.Slice((*slot)(unsafe.Pointer(unsafe.SliceData(b))), n), b
}

// freeSlots returns the memory of slots from newSlots to the system; no
// slot of it may be used after.
func freeSlots(mem []byte) {
	if mem != nil {
		_ = syscall.Munmap(mem)
	}
}
