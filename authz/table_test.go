package authz

import (
	"reflect"
	"testing"
	"unsafe"
)

// A slot is one cache line and holds no pointer, so that the garbage
// collector never scans the token table.
func TestSlotIsOnePointerFreeCacheLine(t *testing.T) {
	if n := unsafe.Sizeof(slot{}); n != 64 {
		t.Errorf("slot is %d bytes, want 64", n)
	}
	typ := reflect.TypeFor[slot]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Array, reflect.Uint32, reflect.Uint64:
			if f.Type.Kind() == reflect.Array && f.Type.Elem().Kind() != reflect.Uint8 {
				t.Errorf("field %s is %s", f.Name, f.Type)
			}
		default:
			t.Errorf("field %s is %s, which may hold a pointer", f.Name, f.Type)
		}
	}
}
