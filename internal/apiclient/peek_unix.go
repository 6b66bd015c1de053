//go:build unix

package apiclient

import (
	"net"
	"syscall"
)

// peeker tells whether an idle connection is still usable: the server
// has neither closed it (a keep-alive timeout) nor sent anything on it.
// It peeks without blocking, one system call: net/http's transport learns
// the same by keeping a read pending on every idle connection. What the
// peek needs is built once per connection, not on every request.
type peeker struct {
	rc    syscall.RawConn // nil: not a socket, taken as open
	peek  func(fd uintptr) bool
	alive bool
}

func newPeeker(c net.Conn) *peeker {
	p := &peeker{}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return p
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return p
	}
	p.rc = rc
	p.peek = func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		p.alive = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	}
	return p
}

// open reports whether the connection is still usable. The connection is
// used by one request at a time, so alive needs no lock.
func (p *peeker) open() bool {
	if p.rc == nil {
		return true
	}
	p.alive = false
	return p.rc.Read(p.peek) == nil && p.alive
}
