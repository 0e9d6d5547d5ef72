package optbench

import (
	"fmt"
	"sort"
	"strings"
)

// Registry holds the problems, optimizers and suites a benchmark can use.
// It is a value passed to Main and the Runner, never package state: build
// one with NewRegistry (everything built in) or EmptyRegistry, add your
// own problems and optimizers, and every protocol, the CLI and sweep files
// see them. A Registry is not safe for concurrent modification; read-only
// use from many goroutines is safe.
type Registry struct {
	problems   map[string]Problem
	probOrder  []string
	optimizers map[string]Optimizer
	optOrder   []string
	suites     map[string]Sweep
	suiteOrder []string
}

// EmptyRegistry returns a registry with nothing in it.
func EmptyRegistry() *Registry {
	return &Registry{problems: map[string]Problem{}, optimizers: map[string]Optimizer{}, suites: map[string]Sweep{}}
}

// NewRegistry returns a registry holding the built-in problems
// (quadratic_deep, rosenbrock, beale, two_d_rosenbrock, two_d_beale,
// mnist_logreg, mnist_mlp, mnist_2c2d, algoperf_mnist), optimizers (sgd,
// momentum, nesterov, adam, adamw, nadam, radam, adamax, lion, rmsprop,
// adagrad, lbfgs) and suites (quick, full). Each call builds a new one.
func NewRegistry() (*Registry, error) {
	r := EmptyRegistry()
	quad, err := QuadraticDeep()
	if err != nil {
		return nil, err
	}
	tr, err := noisy2D(rosenbrockFn())
	if err != nil {
		return nil, err
	}
	tb, err := noisy2D(bealeFn())
	if err != nil {
		return nil, err
	}
	for _, p := range []Problem{quad, function2D(rosenbrockFn()), function2D(bealeFn()), tr, tb,
		MNISTLogReg(), MNISTMLP(), MNIST2C2D(), AlgoPerfMNIST()} {
		if err := r.AddProblem(p); err != nil {
			return nil, err
		}
	}
	for _, o := range builtinOptimizers() {
		if err := r.AddOptimizer(o); err != nil {
			return nil, err
		}
	}
	for _, s := range builtinSuites() {
		if err := r.AddSuite(s); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// AddProblem adds p; its name must be new.
func (r *Registry) AddProblem(p Problem) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("optbench: AddProblem: %w", err)
	}
	if _, dup := r.problems[p.Name]; dup {
		return fmt.Errorf("optbench: AddProblem: %q is already registered", p.Name)
	}
	r.problems[p.Name] = p
	r.probOrder = append(r.probOrder, p.Name)
	return nil
}

// AddOptimizer adds o; its name must be new and its defaults valid.
func (r *Registry) AddOptimizer(o Optimizer) error {
	if err := o.validate(); err != nil {
		return fmt.Errorf("optbench: AddOptimizer: %w", err)
	}
	if _, dup := r.optimizers[o.Name]; dup {
		return fmt.Errorf("optbench: AddOptimizer: %q is already registered", o.Name)
	}
	r.optimizers[o.Name] = o
	r.optOrder = append(r.optOrder, o.Name)
	return nil
}

// AddSuite adds a named sweep (its Suite field names it); it must resolve
// against the registry.
func (r *Registry) AddSuite(s Sweep) error {
	if s.Suite == "" || !nameRE.MatchString(s.Suite) {
		return fmt.Errorf("optbench: AddSuite: name %q (want lower case letters, digits, '_' and '-')", s.Suite)
	}
	if _, dup := r.suites[s.Suite]; dup {
		return fmt.Errorf("optbench: AddSuite: %q is already registered", s.Suite)
	}
	if _, err := s.Resolve(r); err != nil {
		return fmt.Errorf("optbench: AddSuite %s: %w", s.Suite, err)
	}
	r.suites[s.Suite] = s
	r.suiteOrder = append(r.suiteOrder, s.Suite)
	return nil
}

// Problem returns the problem called name.
func (r *Registry) Problem(name string) (Problem, error) {
	p, ok := r.problems[name]
	if !ok {
		return Problem{}, fmt.Errorf("unknown problem %q (want one of %s)", name, strings.Join(r.probOrder, ", "))
	}
	return p, nil
}

// Optimizer returns the optimizer called name.
func (r *Registry) Optimizer(name string) (Optimizer, error) {
	o, ok := r.optimizers[name]
	if !ok {
		return Optimizer{}, fmt.Errorf("unknown optimizer %q (want one of %s)", name, strings.Join(r.optOrder, ", "))
	}
	return o, nil
}

// Suite returns the suite called name.
func (r *Registry) Suite(name string) (Sweep, error) {
	s, ok := r.suites[name]
	if !ok {
		return Sweep{}, fmt.Errorf("unknown suite %q (want one of %s)", name, strings.Join(r.suiteOrder, ", "))
	}
	return s.clone(), nil
}

// Problems, Optimizers and Suites return the names, in the order added.
func (r *Registry) Problems() []string   { return append([]string(nil), r.probOrder...) }
func (r *Registry) Optimizers() []string { return append([]string(nil), r.optOrder...) }
func (r *Registry) Suites() []string     { return append([]string(nil), r.suiteOrder...) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
