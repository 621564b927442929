package bench

import (
	"math"
	"sort"
)

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// mannWhitneyGreater returns the one-sided p-value of the Mann-Whitney U
// test for "samples of y tend to be larger than samples of x" (normal
// approximation with continuity and tie corrections; adequate from about
// eight samples a side, which is what the gate takes).
func mannWhitneyGreater(x, y []float64) float64 {
	type obs struct {
		v   float64
		inY bool
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, obs{v, false})
	}
	for _, v := range y {
		all = append(all, obs{v, true})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n1, n2 := float64(len(x)), float64(len(y))
	n := n1 + n2
	var rankY, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		r := float64(i+j+1) / 2 // mid-rank of ranks i+1..j
		t := float64(j - i)
		ties += t*t*t - t
		for k := i; k < j; k++ {
			if all[k].inY {
				rankY += r
			}
		}
		i = j
	}
	u := rankY - n2*(n2+1)/2 // U of y: pairs (x, y) with y > x
	mu := n1 * n2 / 2
	sigma := math.Sqrt(n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	z := (u - mu - 0.5) / sigma
	return 0.5 * math.Erfc(z/math.Sqrt2)
}
