package service

// SetUseBatchForTest lowers the tokens per transaction of d's flush and the
// use events a periodic flush writes, so that a test reaches the bounds
// with a few tokens. (A function, not a method: exported methods are the
// service's operations, each in the permission table.)
func SetUseBatchForTest(d *Decider, batch, maxEvents int) {
	d.useBatch, d.maxUseEvents = batch, maxEvents
}
