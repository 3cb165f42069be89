package observe

import (
	"encoding/binary"
	"errors"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// A WAL entry is a version byte, the batch's idempotency key (empty for
// direct exports; an agent's batch id for forwarded ones: replay
// remembers them, so a retry after a restart is still recognised) and the
// batch's encoding (record.AppendBatch).
const entryVersion = 1

// maxBatchKey bounds a key (the gateway allows 100 bytes plus the agent id).
const maxBatchKey = 200

func appendEntry(dst []byte, key string, b *record.Batch) []byte {
	dst = append(dst, entryVersion)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	return record.AppendBatch(dst, b)
}

var errBadEntry = errors.New("not a telemetry WAL entry")

func decodeEntry(data []byte) (string, *record.Batch, error) {
	if len(data) < 2 || data[0] != entryVersion {
		return "", nil, errBadEntry
	}
	n, w := binary.Uvarint(data[1:])
	if w <= 0 || n > maxBatchKey || uint64(len(data)-1-w) < n { //nolint:gosec // G115: w < len(data), so the difference is not negative
		return "", nil, errBadEntry
	}
	rest := data[1+w:]
	key := string(rest[:n])
	b, err := record.DecodeBatch(rest[n:])
	return key, b, err
}
