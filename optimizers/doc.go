// Package optimizers updates a model's parameters from their gradients:
// the optimizers of torch.optim (SGD with momentum and Nesterov, Adagrad,
// RMSprop, Adam, AdamW, RAdam, Adamax), learning-rate schedules, gradient clipping,
// parameter groups, and exportable state for bit-identical resumption.
//
// # Core types
//
// Optimizer is the one-method contract the training loop uses:
//
//	type Optimizer interface { Step(params []*graph.Param) error }
//
// After a backward pass, Step(g.Params()) updates every parameter that has
// a gradient (Param.Grad non-nil and Trainable), in place. A type defined
// outside the package that implements Step is used exactly like the
// built-ins; if it also implements LRGroups (NumGroups, LR, SetLR) every
// schedule drives it (see the package example, a sign-SGD).
//
// The built-ins are SGD (NewSGD; "momentum" and "nesterov" are its
// parameterisations), Adam (NewAdam; NewAdamW is Adam with decoupled weight
// decay, one kernel), RMSprop (NewRMSprop), Adagrad (NewAdagrad), RAdam
// (NewRAdam), Adamax (NewAdamax), NAdam (NewNAdam, PyTorch >= 2.0's
// formula), Lion (NewLion, Chen et al. 2023) and L-BFGS (NewLBFGS,
// torch.optim.LBFGS with its strong-Wolfe line search; it re-evaluates the
// objective within a step, so it is driven by StepClosure with a Closure,
// see ClosureOptimizer, and its Step returns ErrNeedsClosure). NAdam, Lion
// and L-BFGS are checked against the trajectories in testdata/, recorded by
// testdata/record_references.py. Each takes a typed config (SGDConfig,
// AdamConfig, ...) and optional groups. A config field left at zero takes
// PyTorch's default, so AdamConfig{LR: 0.01} is torch.optim.Adam(lr=0.01);
// Zero() sets a field to zero deliberately. AdamDefaults, AdamWDefaults,
// ... return the defaults written out. New(name, Hyper) builds one from CLI flags, by the
// names Names returns. Every built-in also implements LRGroups, Stateful
// (State/LoadState) and Reset.
//
// Parameter groups (Group[C]) give the parameters a Selector picks their
// own config, whose unset fields take the main config's values (torch's
// param groups): typically no weight decay for biases and normalisation
// parameters (OneDim, Config: AdamConfig{WeightDecay: Zero()}). Group 0 is the main config, for
// parameters no group selects; groups passed to a constructor are 1, 2, ...
// A parameter joins the first group that selects it.
//
// Schedules: a Schedule is a closed form lr(base, k) (Constant, StepDecay,
// MultiStep, Exponential, Cosine, Warmup); NewScheduler binds one to an
// optimizer, recording each group's current lr as its base (torch's
// initial_lr) and setting every group's lr after each Scheduler.Step, so
// the first optimizer step uses the initial lr. Plateau is torch's
// ReduceLROnPlateau, driven by a metric. Both implement LRScheduler
// (Step(metric) error). ParseSchedule reads the --schedule flag
// ("cosine:50", "warmup:5,cosine:50", "plateau:0.5:3", ...).
//
// ClipGradNorm and ClipGradValue are torch.nn.utils.clip_grad_norm_ and
// clip_grad_value_ over a parameter list.
//
// # State
//
// State holds per-parameter buffers as *graph.Tensor, keyed
// "<param name>/<buffer>" with torch's buffer names, plus JSON-marshalable
// Ints and Floats (step counts, group lrs, schedule position, plateau
// counters); see State for the keys. It is keyed by parameter name, not
// identity, so a model rebuilt with new *Param values resumes from it.
// Taking a State copies it; LoadState checks everything before changing
// anything. Restoring an optimizer's and a schedule's State mid-run and
// continuing gives bit-identical parameters to an uninterrupted run.
//
// # Numerics
//
// Every formula follows PyTorch 1.13's single-tensor implementations, op
// for op (except NAdam, which takes PyTorch 2.0's fix of 1.13's momentum
// factor, and Lion, which torch lacks) (see each type's doc and shared/golden/README.md): weight decay is
// L2 added to the gradient except in AdamW (decoupled: p *= 1 - lr*wd
// first); maximize negates the gradient before weight decay; step counts
// are per parameter from 1; SGD's first momentum buffer is the gradient
// itself and Nesterov uses the updated buffer; Adam adds eps after dividing
// sqrt(v) by sqrt(1-beta2^t); RMSprop and Adagrad add eps outside the root.
// float32 parameters are updated in float32 arithmetic, with scalar factors
// (1-beta1^t, lr/(1-beta1^t), sqrt(1-beta2^t), ...) computed in float64 and
// rounded once. golden_test.go replays the PyTorch recordings in
// shared/golden (or $DESCENT_GOLDEN_DIR) and matches them to 1e-9 (float64)
// and 1e-4 (float32) relative.
//
// Performance: on amd64 the update kernels and the NaN/Inf check run as
// AVX-512 or AVX2 kernels (internal/vec, chosen once at init from the CPU),
// bit-identical to the scalar Go kernels (adamKernelGo, ...), which do the
// elements past the last whole vector, and everything on other
// architectures, on older CPUs and with -tags purego (simd_test.go checks
// the identity). State is created on the first step; a steady-state Step
// allocates nothing. BenchmarkStep (1M float32 parameters): every optimizer
// runs at about the bandwidth of a plain copy of the same bytes or faster
// (float64 Adagrad, RMSprop and Adam at about 0.75 of it, bound by the
// vector divider); the scalar kernels ran at 0.26 (Adam) to 0.5 (SGD) of it.
// RAdam, Adamax, NAdam and Lion have scalar Go kernels only (measured at
// one thread, float32: 5.5, 7.4, 5.6 and 2.2 GB/s; Lion 11 GB/s since its
// sign lost its branch): SIMD kernels for them are future work. A parameter of 16k
// elements or more is updated (and checked for NaN and Inf) in ranges of
// 8k over internal/parallel's threads (graph's SetThreads) by every
// optimizer but L-BFGS; the updates are elementwise and the cuts fall on
// whole vectors, so the result has the same bits for any number of
// threads (split_test.go). Split, the scalar kernels of RAdam, Adamax and
// NAdam took 2.60, 1.92 and 2.78 ms per step at 2 threads, against 5.31,
// 3.66 and 5.29 unsplit (1M float32 parameters, medians of 5 interleaved
// runs).
//
// # Errors
//
// Nothing panics on user input. Constructors validate every group as torch
// does (lr, momentum, eps, weight decay, alpha, lr_decay, initial
// accumulator >= 0; betas in [0, 1); Nesterov needs momentum > 0 and no
// dampening; every value finite) and return a *HyperError naming the field
// ("optimizers: Adam: Beta2 = 1 (want 0 <= beta2 < 1)"). Step checks every
// gradient first: a NaN or Inf returns a *NonFiniteGradError naming the
// parameter and nothing is updated; a gradient of the wrong shape or dtype,
// a duplicate name or a nil parameter is a *ParamError. Sentinels (ErrHyper,
// ErrNonFiniteGrad, ErrParam, ErrState, ErrGroup, ErrSchedule, ErrUnknown)
// are wrapped by every error, for errors.Is. Optimizers and schedules are
// not safe for concurrent use.
//
// # References
//
// PyTorch 1.13 torch.optim documentation and source (SGD, Adam, AdamW,
// RMSprop, Adagrad, lr_scheduler.StepLR, MultiStepLR, ExponentialLR,
// CosineAnnealingLR, ReduceLROnPlateau; nn.utils.clip_grad_norm_).
// Sutskever et al. 2013 (momentum, Nesterov); Duchi, Hazan & Singer 2011
// (Adagrad); Hinton, Coursera lecture 6e, and Graves 2013 (RMSprop,
// centered); Kingma & Ba 2015 (Adam, Adamax); Reddi, Kale & Kumar 2018
// (AMSGrad); Liu et al. 2020 (RAdam); Dozat 2016 (NAdam); Chen et al. 2023
// (Lion); Liu & Nocedal 1989 (L-BFGS);
// Loshchilov & Hutter 2019 (AdamW) and 2017 (SGDR, cosine annealing).
//
// # Differences from PyTorch
//
// Defaults are PyTorch's. Deliberate differences:
//   - A Go zero value cannot tell "unset" from 0, so an unset field means
//     the default and Zero() means 0. SGDConfig.LR has no default (as
//     torch.optim.SGD): leaving it unset is an error. New gives the SGD
//     family descent's default lr of 0.01.
//   - A non-finite gradient is an error (torch would write NaNs); so is a
//     non-finite metric given to Plateau (torch counts it as a bad step),
//     and ClipGradNorm acts as torch's error_if_nonfinite=True.
//   - Closed-form schedules compute lr(k) directly; torch's recursive
//     updates agree to about 1e-13 relative. Warmup has no torch
//     counterpart in 1.13: lr*(k+1)/W for k < W, then the next schedule
//     from its own step 0.
//   - State is keyed by parameter name (torch's state_dict by position).
package optimizers
