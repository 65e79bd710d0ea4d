//go:build !race

package escalation_test

const raceEnabled = false
