//go:build !unix

package mailclient

// openNoBlock is 0 where opening a file never waits for another process.
const openNoBlock = 0
