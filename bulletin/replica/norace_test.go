//go:build !race

package replica

// raceDetector is true when the tests run under the race detector, which
// makes four CometBFT nodes several times slower.
const raceDetector = false
