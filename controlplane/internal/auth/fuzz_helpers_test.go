package auth

import "fmt"

func fmtSscanf(s string, m, t, p *int) (int, error) {
	return fmt.Sscanf(s, "m=%d,t=%d,p=%d", m, t, p)
}
