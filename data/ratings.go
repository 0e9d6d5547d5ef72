package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/graph"
)

// RatingsConfig configures SyntheticRatings.
type RatingsConfig struct {
	Users, Items int     // default 500 and 300
	Rank         int     // latent factors of the true ratings (default 5)
	N            int     // observed ratings (distinct user-item pairs; default 30000)
	Noise        float64 // std of the Gaussian noise on each rating (default 0.3): the RMSE floor
	Mean         float64 // global mean rating (default 3.5)
	Seed         uint64
	DType        graph.DType // of Y (default Float32)
}

// SyntheticRatings draws a recommender data set with a known low-rank
// structure: r(u, i) = Mean + b_u + b_i + <p_u, q_i> + Noise·ε, biases
// N(0, 0.3²), factors N(0, 1/Rank) (so <p_u, q_i> has variance 1), ε
// standard normal, for N distinct (user, item) pairs drawn uniformly. X is
// Int [N, 2] (user id, item id), Y [N, 1]; the best possible RMSE is Noise.
func SyntheticRatings(cfg RatingsConfig) (*Dataset, error) {
	const fn = "SyntheticRatings"
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.Users, 500)
	def(&cfg.Items, 300)
	def(&cfg.Rank, 5)
	def(&cfg.N, 30000)
	if cfg.Noise == 0 {
		cfg.Noise = 0.3
	}
	if cfg.Mean == 0 {
		cfg.Mean = 3.5
	}
	dt, err := floatDType(fn, cfg.DType)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Users < 1 || cfg.Items < 1 || cfg.Rank < 1 || cfg.N < 1:
		return nil, invalid(fn, "%d users, %d items, rank %d, %d ratings (want >= 1)", cfg.Users, cfg.Items, cfg.Rank, cfg.N)
	case cfg.N > cfg.Users*cfg.Items:
		return nil, invalid(fn, "%d ratings of %d user-item pairs (want at most as many)", cfg.N, cfg.Users*cfg.Items)
	case !(cfg.Noise >= 0) || math.IsInf(cfg.Noise, 0) || math.IsNaN(cfg.Mean) || math.IsInf(cfg.Mean, 0):
		return nil, invalid(fn, "noise %v, mean %v (want finite, noise >= 0)", cfg.Noise, cfg.Mean)
	}
	rng, _ := newRand(cfg.Seed)
	k := cfg.Rank
	draw := func(n int, std float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = std * rng.NormFloat64()
		}
		return v
	}
	p, q := draw(cfg.Users*k, 1/math.Sqrt(float64(k))), draw(cfg.Items*k, 1)
	bu, bi := draw(cfg.Users, 0.3), draw(cfg.Items, 0.3)
	// N distinct pairs: a partial Fisher-Yates shuffle of all pairs.
	pairs := rng.Perm(cfg.Users * cfg.Items)[:cfg.N]
	x := make([]int, 2*cfg.N)
	y := make([]float64, cfg.N)
	for j, pair := range pairs {
		u, i := pair/cfg.Items, pair%cfg.Items
		dot := 0.0
		for f := 0; f < k; f++ {
			dot += p[u*k+f] * q[i*k+f]
		}
		x[2*j], x[2*j+1] = u, i
		y[j] = cfg.Mean + bu[u] + bi[i] + dot + cfg.Noise*rng.NormFloat64()
	}
	xt, err := graph.FromInts(x, cfg.N, 2)
	if err != nil {
		return nil, err
	}
	yt, err := floatTensor(dt, y, cfg.N, 1)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: "ratings:synthetic", X: xt, Y: yt}, nil
}

// RatingsCSVConfig names the columns of a ratings file.
type RatingsCSVConfig struct {
	User, Item, Rating string      // column names (default "user", "item", "rating")
	DType              graph.DType // of Y (default Float32)
}

// LoadRatings reads a user,item,rating table with a header row (extra
// columns are ignored): X is Int [N, 2] with users and items numbered
// 0..U-1 and 0..I-1 in sorted order of their names (kept in
// Categories), Y [N, 1] the ratings.
func LoadRatings(path string, cfg RatingsCSVConfig) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: LoadRatings: %w", err)
	}
	defer f.Close()
	return ReadRatings(f, path, cfg)
}

// ReadRatings is LoadRatings from a reader; name names the source in errors.
func ReadRatings(r io.Reader, name string, cfg RatingsCSVConfig) (*Dataset, error) {
	const fn = "ReadRatings"
	if cfg.User == "" {
		cfg.User = "user"
	}
	if cfg.Item == "" {
		cfg.Item = "item"
	}
	if cfg.Rating == "" {
		cfg.Rating = "rating"
	}
	dt, err := floatDType(fn, cfg.DType)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, &FileError{Format: "ratings CSV", Path: name, Msg: fmt.Sprintf("no header row: %v", err), Err: ErrFormat}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	var idx [3]int
	for j, c := range []string{cfg.User, cfg.Item, cfg.Rating} {
		i, ok := col[c]
		if !ok {
			return nil, &FileError{Format: "ratings CSV", Path: name, Msg: fmt.Sprintf("no column %q (columns: %s)", c, strings.Join(head, ", ")), Err: ErrFormat}
		}
		idx[j] = i
	}
	var users, items []string
	var ratings []float64
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &FileError{Format: "ratings CSV", Path: name, Line: line, Msg: err.Error(), Err: ErrFormat}
		}
		v, perr := strconv.ParseFloat(strings.TrimSpace(rec[idx[2]]), 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &FileError{Format: "ratings CSV", Path: name, Line: line, Column: cfg.Rating, Msg: fmt.Sprintf("rating %q is not a finite number", rec[idx[2]]), Err: ErrFormat}
		}
		users = append(users, strings.TrimSpace(rec[idx[0]]))
		items = append(items, strings.TrimSpace(rec[idx[1]]))
		ratings = append(ratings, v)
	}
	if len(ratings) == 0 {
		return nil, &FileError{Format: "ratings CSV", Path: name, Msg: "no ratings", Err: ErrFormat}
	}
	un, uid := numbering(users)
	in, iid := numbering(items)
	x := make([]int, 2*len(ratings))
	for j := range ratings {
		x[2*j], x[2*j+1] = uid[users[j]], iid[items[j]]
	}
	xt, err := graph.FromInts(x, len(ratings), 2)
	if err != nil {
		return nil, err
	}
	yt, err := floatTensor(dt, ratings, len(ratings), 1)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: name, X: xt, Y: yt, Categories: [][]string{un, in}}, nil
}

// numbering gives each distinct name its rank in sorted order.
func numbering(names []string) ([]string, map[string]int) {
	uniq := slices.Clone(names)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	id := make(map[string]int, len(uniq))
	for i, n := range uniq {
		id[n] = i
	}
	return uniq, id
}
