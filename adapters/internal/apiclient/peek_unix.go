//go:build unix

package apiclient

import (
	"net"
	"syscall"
)

// open reports whether an idle connection is still usable: the server
// has neither closed it (a keep-alive timeout) nor sent anything on it.
// It peeks without blocking, one system call: net/http's transport learns
// the same by keeping a read pending on every idle connection.
func open(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && alive
}
