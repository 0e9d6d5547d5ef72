package optbench

// builtinSuites are the named sweeps:
//
//   - quick: minutes on a laptop. quadratic_deep (DeepOBS's budget), the
//     four 2-D functions, mnist_logreg for 3 epochs (of DeepOBS's 50) and
//     AlgoPerf MNIST; six optimizers (sgd, momentum, adam, adamw, nadam,
//     lion). oneshot on all but AlgoPerf MNIST (5 seeds); deepobs on all but
//     AlgoPerf MNIST with every second point of DeepOBS's grid (18 learning
//     rates, 1e-5 to 10^1.8) and 10 reruns; algoperf on all of them with 2
//     trials x 3 studies (three, so the median over studies survives one
//     study that misses the target). 1,236 trials; measured on the shared
//     2-core machine this was written on (load average 2-4 from other
//     jobs): 6 min 7 s with --workers 2 (543 CPU-seconds), 9 min 18 s with
//     --workers 1, the two reports bit-identical but for timing.*; measured
//     again later: 6 min 4 s and 9 min 35 s, the same.
//   - full: what the cluster path is for. Every problem at DeepOBS's
//     budgets (mnist_mlp and mnist_2c2d 100 epochs), every optimizer
//     (L-BFGS and Adagrad, RMSprop too), DeepOBS's 36-point grid with 10
//     reruns, AlgoPerf's 5 trials x 3 studies, 5 oneshot seeds.
func builtinSuites() []Sweep {
	quickGrid := make([]float64, 0, 18)
	for i, lr := range DeepOBSGrid() {
		if i%2 == 0 {
			quickGrid = append(quickGrid, lr)
		}
	}
	small := []string{"quadratic_deep", "rosenbrock", "beale", "two_d_rosenbrock", "two_d_beale", "mnist_logreg"}
	names := func(ns ...string) []Contender {
		out := make([]Contender, len(ns))
		for i, n := range ns {
			out[i] = Contender{Optimizer: n}
		}
		return out
	}
	refs := func(ns ...string) []ProblemRef {
		out := make([]ProblemRef, len(ns))
		for i, n := range ns {
			out[i] = ProblemRef{Name: n}
		}
		return out
	}
	quickProblems := refs(small...)
	quickProblems[5].Budget = Budget{Epochs: 3}
	quickProblems = append(quickProblems, ProblemRef{Name: "algoperf_mnist"})
	return []Sweep{
		{
			Suite:      "quick",
			Protocols:  []string{"oneshot", "deepobs", "algoperf"},
			Problems:   quickProblems,
			Optimizers: names("sgd", "momentum", "adam", "adamw", "nadam", "lion"),
			Seeds:      5,
			OneShot:    OneShotConfig{Problems: small},
			DeepOBS:    DeepOBSConfig{LRs: quickGrid, Reruns: 10, Problems: small},
			AlgoPerf:   AlgoPerfConfig{Trials: 2, Studies: 3},
		},
		{
			Suite:     "full",
			Protocols: []string{"oneshot", "deepobs", "algoperf"},
			Problems: refs("quadratic_deep", "rosenbrock", "beale", "two_d_rosenbrock", "two_d_beale",
				"mnist_logreg", "mnist_mlp", "mnist_2c2d", "algoperf_mnist"),
			Optimizers: names("sgd", "momentum", "nesterov", "adam", "adamw", "nadam", "radam", "adamax", "lion",
				"rmsprop", "adagrad", "lbfgs"),
			Seeds:    5,
			DeepOBS:  DeepOBSConfig{LRs: DeepOBSGrid(), Reruns: 10},
			AlgoPerf: AlgoPerfConfig{Trials: 5, Studies: 3},
		},
	}
}
