package collective_test

import (
	"testing"

	"github.com/stemreduce/stemreduce/collective"
)

func TestSumFloat64(t *testing.T) {
	m := collective.SumFloat64{N: 3}
	got := m.Merge([]float64{1, 2, 3}, []float64{0.5, -2, 4})
	back, err := m.Decode(m.Encode(nil, got))
	if err != nil || len(back) != 3 || back[0] != 1.5 || back[1] != 0 || back[2] != 7 {
		t.Fatalf("round trip %v, %v", back, err)
	}
	if _, err := m.Decode(make([]byte, 16)); err == nil {
		t.Error("a vector of the wrong length decoded")
	}
	if v, err := (collective.SumFloat64{}).Decode(make([]byte, 16)); err != nil || len(v) != 2 {
		t.Errorf("any length: %v, %v", v, err)
	}
}
