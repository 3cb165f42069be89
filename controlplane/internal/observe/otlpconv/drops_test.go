package otlpconv

import "testing"

func TestDropsMessage(t *testing.T) {
	cases := []struct {
		d    Drops
		want string
	}{
		{Drops{}, ""},
		{Drops{Skipped: 3}, ""},
		{Drops{OutOfWindow: 2, Malformed: 1}, "3 rejected (2 timestamp outside the accepted window; 1 malformed)"},
		{Drops{Unsupported: 1, SpoofAttributes: 2}, `1 rejected (1 unsupported); 2 "hearth." attributes removed`},
		{Drops{AttributesDropped: 5, ValuesTruncated: 1}, "5 attributes dropped (over the limit, bad or repeated keys); 1 values truncated"},
	}
	for _, tc := range cases {
		if got := tc.d.Message(); got != tc.want {
			t.Errorf("%+v.Message() = %q, want %q", tc.d, got, tc.want)
		}
	}
	var sum Drops
	sum.Add(Drops{OutOfWindow: 1, Malformed: 2, Unsupported: 3, Skipped: 4, Clamped: 5})
	sum.Add(Drops{OutOfWindow: 1})
	if sum.Rejected() != 7 || sum.Skipped != 4 || sum.Clamped != 5 {
		t.Errorf("after Add: %+v, Rejected %d", sum, sum.Rejected())
	}
}
