package console

import "testing"

func TestShortFitsTheLabelColumn(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"a short label stays", "step 2 · A.4", 26, "step 2 · A.4"},
		{"spaces collapse", "  Salary?\n ", 26, "Salary?"},
		{"a long label is cut with an ellipsis", "Who pays the visa fee for our new cook?", 26, "Who pays the visa fee for…"},
		{"Japanese counts two columns a character", "ビザの費用は誰が払いますか教えてください", 26, "ビザの費用は誰が払います…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := short(tt.in, tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
