package project

import (
	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// idPage reads the paging of a list ordered by (v7) id: pageSize 1-100
// (anything else: 50) and a token that is the last id of the previous
// page.
func idPage(pageSize int32, token string) (limit int, after uuid.UUID, err error) {
	limit = int(pageSize)
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	if token != "" {
		if after, err = uuid.Parse(token); err != nil {
			return 0, uuid.Nil, apperr.Invalid("page_token: not from a previous response")
		}
	}
	return limit, after, nil
}

// nextIDToken is the token of the page after one of n items ending at
// last: none when the page was not full.
func nextIDToken(n, limit int, last uuid.UUID) string {
	if n < limit {
		return ""
	}
	return last.String()
}
