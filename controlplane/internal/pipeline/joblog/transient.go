package joblog

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATEs of a server going away or not taking connections yet.
const (
	classConnectionException = "08"    // connection_exception and its subclasses
	codeAdminShutdown        = "57P01" // admin_shutdown: a fast shutdown ended the session
	codeCrashShutdown        = "57P02" // crash_shutdown: another backend crashed
	codeCannotConnectNow     = "57P03" // cannot_connect_now: starting up or recovering
	codeTooManyConnections   = "53300" // too_many_connections
)

// transient reports whether a read failed because the store is restarting
// or unreachable, rather than because of what was asked: reading again
// later may succeed.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow, codeTooManyConnections:
			return true
		}
		return strings.HasPrefix(pgErr.Code, classConnectionException)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
