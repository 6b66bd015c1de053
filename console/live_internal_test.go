package console

import "testing"

func TestAfterComparesFeedPositions(t *testing.T) {
	tests := []struct {
		name string
		x, y string
		want bool
	}{
		{"a later stream id", "5-0", "4-9", true},
		{"the same id is covered", "5-0", "5-0", false},
		{"an earlier id is covered", "4-0", "5-0", false},
		{"a sharded position one stream further on", "1-0.7-0.3-0", "1-0.6-0.3-0", true},
		{"a sharded position the reader has passed in every stream", "1-0.6-0.3-0", "2-0.6-0.3-0", false},
		{"the reader's other streams do not hide a change", "1-0.9-0", "5-0.8-0", true},
		{"a position of another shape by its newest part", "1-0.9-0", "8-0", true},
		{"the next change inside an entry", "1-0.5-0-3", "1-0.5-0-2", true},
		{"an earlier change inside an entry is covered", "1-0.5-0-1", "1-0.5-0-2", false},
		{"the entry's last change is past its others", "1-0.5-0", "1-0.5-0-2", true},
		{"a reader past the whole entry covers its changes", "1-0.5-0-2", "1-0.5-0", false},
		{"a later entry is past a change inside an earlier one", "1-0.6-0", "1-0.5-0-9", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := after(tt.x, tt.y); got != tt.want {
				t.Errorf("after(%q, %q) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "x", "1-0.", "1-0.x-1", "1", "1-0-x", "1-0-1-2", "1--0"} {
		if _, ok := changeID(bad); ok {
			t.Errorf("changeID(%q) accepted", bad)
		}
	}
}
