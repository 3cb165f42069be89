package spec

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

var errDuration = errors.New("not a duration")

// maxDays keeps days*24h far from overflowing a time.Duration (~292 years).
const maxDays = 100_000

// parseDuration reads a Go duration ("90s", "1h30m") optionally led by a
// whole number of days ("7d", "1d12h"), since artifact lifetimes are
// naturally written in days and time.ParseDuration has no unit for them.
// Negative durations are refused.
func parseDuration(s string) (time.Duration, error) {
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, errDuration
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > maxDays || s[:i] != strconv.Itoa(n) {
			return 0, errDuration
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
		if s[0] == '-' || s[0] == '+' {
			return 0, errDuration
		}
	}
	t, err := time.ParseDuration(s)
	if err != nil || t < 0 {
		return 0, errDuration
	}
	return days + t, nil
}

// formatDuration writes d the way the file would: 24h, 365d, 1m, 1s.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= 2*day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
