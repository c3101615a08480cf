//go:build !race

package definitions

const raceEnabled = false
