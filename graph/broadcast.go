package graph

// maxRank is the most dimensions an elementwise kernel walks after merging
// the dimensions it can (see newLayout): shapes may have more.
const maxRank = 8

// layout walks an output and up to three operands broadcast into it: the
// dimensions of out, merged where every operand is laid out alike, with
// each operand's stride per dimension (0 where it is broadcast).
type layout struct {
	n    int
	dims [maxRank]int
	st   [3][maxRank]int
	size int
}

// newLayout builds the walk of out = f(ops...) with the operands broadcast
// into out's shape (NumPy's rules, checked by Infer). It reports false
// when the merged rank exceeds maxRank.
func newLayout(out Shape, ops ...Shape) (layout, bool) {
	var l layout
	r := len(out)
	const wide = 4 * maxRank
	if r > wide || len(ops) > 3 {
		return l, false
	}
	var full [3][wide]bool // operand k is not broadcast on dimension i
	l.size = 1
	for i := 0; i < r; i++ {
		l.size *= out[i]
		for k, s := range ops {
			if j := i - (r - len(s)); j >= 0 && s[j] != 1 {
				full[k][i] = true
			}
		}
	}
	// Merge adjacent dimensions where each operand is full in both or
	// broadcast in both; drop dimensions of size 1.
	var md [wide]int
	var mf [3][wide]bool
	n := 0
	for i := 0; i < r; i++ {
		if out[i] == 1 {
			continue
		}
		same := n > 0
		for k := range ops {
			same = same && mf[k][n-1] == full[k][i]
		}
		if same {
			md[n-1] *= out[i]
			continue
		}
		md[n] = out[i]
		for k := range ops {
			mf[k][n] = full[k][i]
		}
		n++
	}
	if n == 0 { // a scalar output
		md[0] = 1
		for k := range ops {
			mf[k][0] = true
		}
		n = 1
	}
	if n > maxRank {
		return l, false
	}
	l.n = n
	for k := range ops {
		stride := 1
		for i := n - 1; i >= 0; i-- {
			if mf[k][i] {
				l.st[k][i] = stride
				stride *= md[i]
			}
		}
	}
	copy(l.dims[:], md[:n])
	return l, true
}

// walk calls row(o, i0, i1, i2, n) for each run of the innermost
// dimension: n outputs from offset o; ik is operand k's offset, and
// l.st[k][l.n-1] (0 or 1) its stride along the run.
func (l *layout) walk(row func(o, i0, i1, i2, n int)) {
	last := l.n - 1
	inner := l.dims[last]
	var idx [maxRank]int
	var off [3]int
	for o := 0; o < l.size; o += inner {
		row(o, off[0], off[1], off[2], inner)
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			for k := range off {
				off[k] += l.st[k][d]
			}
			if idx[d] < l.dims[d] {
				break
			}
			for k := range off {
				off[k] -= l.st[k][d] * l.dims[d]
			}
			idx[d] = 0
		}
	}
}

// at returns the offsets in operands 0 and 1 of the output's element p
// (its offset in the output is p).
func (l *layout) at(p int) (i0, i1 int) {
	for d := l.n - 1; d >= 0; d-- {
		q := p % l.dims[d]
		p /= l.dims[d]
		i0 += q * l.st[0][d]
		i1 += q * l.st[1][d]
	}
	return i0, i1
}

// rows returns the number of runs of the innermost dimension (walk's
// calls).
func (l *layout) rows() int { return l.size / max(l.dims[l.n-1], 1) }

// walkRows is walk restricted to the runs r0..r1-1.
func (l *layout) walkRows(r0, r1 int, row func(o, i0, i1, i2, n int)) {
	last := l.n - 1
	inner := l.dims[last]
	var idx [maxRank]int
	var off [3]int
	for d, q := last-1, r0; d >= 0; d-- {
		idx[d] = q % l.dims[d]
		q /= l.dims[d]
		for k := range off {
			off[k] += idx[d] * l.st[k][d]
		}
	}
	for r := r0; r < r1; r++ {
		row(r*inner, off[0], off[1], off[2], inner)
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			for k := range off {
				off[k] += l.st[k][d]
			}
			if idx[d] < l.dims[d] {
				break
			}
			for k := range off {
				off[k] -= l.st[k][d] * l.dims[d]
			}
			idx[d] = 0
		}
	}
}

// inner returns operand k's stride along the innermost dimension (0 or 1).
func (l *layout) inner(k int) int { return l.st[k][l.n-1] }
