package optbench

import (
	"math"
	"math/rand/v2"
)

// haltonPoints returns n quasi-random points of [0, 1)^dims, as AlgoPerf's
// algoperf/halton.py builds them (after Bergstra & Bengio's arXiv
// 1706.03200 and google/uncertainty-baselines): per dimension a Van der
// Corput sequence in a prime base (the dims largest primes below 1000 but
// 997) whose digits go through a random permutation (0 fixed), shifted by
// a random offset modulo 1; the first 100 points are skipped and the
// points' order is shuffled. The permutations, shifts and the shuffle come
// from PCG streams seeded with seed (AlgoPerf: numpy RandomState(base) and
// the global numpy stream), so the points are AlgoPerf's construction but
// not its numbers.
func haltonPoints(n, dims int, seed uint64) [][]float64 {
	const skip = 100
	bases := largePrimes(dims)
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = make([]float64, dims)
	}
	for d, base := range bases {
		rng := rand.New(rand.NewPCG(seed, uint64(base)))
		perm := make([]int, base)
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(base-1, func(i, j int) { perm[i+1], perm[j+1] = perm[j+1], perm[i+1] })
		shift := rng.Float64()
		for i := range pts {
			num, scale := 0.0, 1.0/float64(base)
			for k := skip + i + 1; k > 0; k /= base {
				num += float64(perm[k%base]) * scale
				scale /= float64(base)
			}
			pts[i][d] = math.Mod(num+shift, 1)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5bd1e995))
	rng.Shuffle(n, func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
	return pts
}

// largePrimes returns the dims largest primes below 1000 except 997
// (AlgoPerf's generate_primes(...)[-num_dims-1:-1]), largest last; past
// 166 dimensions it continues below them.
func largePrimes(dims int) []int {
	var primes []int
	for c := 2; c < 997; c++ {
		prime := true
		for _, p := range primes {
			if p*p > c {
				break
			}
			if c%p == 0 {
				prime = false
				break
			}
		}
		if prime {
			primes = append(primes, c)
		}
	}
	for len(primes) < dims {
		primes = append([]int{2}, primes...) // more dimensions than primes: reuse base 2 (never in practice)
	}
	return primes[len(primes)-dims:]
}
