#!/usr/bin/env python3
"""Records the reference trajectories of NAdam, Lion and L-BFGS that
optimizers/reference_test.go replays.

    /usr/bin/python3 optimizers/testdata/record_references.py   # from the repository root

Writes optimizers/testdata/{nadam,lion,lbfgs}_reference.json. Needs numpy and
(for NAdam's cross-check and L-BFGS) PyTorch; recorded here with PyTorch
1.13.0a0 and numpy on CPU, float64 throughout.

Where each reference comes from:

* NAdam: PyTorch >= 2.0's formula written out in numpy (torch 1.13, the
  installed version, has the mu_product bug fixed by pytorch/pytorch PR
  #92699: its single-tensor path used 1 - mu_product*mu*mu_next for the
  momentum term). As an independent check, torch 1.13's own
  _single_tensor_nadam is patched at exactly that line (mu_product * mu_next)
  and must agree with the numpy trajectory to 1e-13; the unpatched torch 1.13
  trajectory is recorded too ("torch113" cases), to show the difference.
* Lion: the update of Chen et al. 2023 (arXiv 2302.06675, Program 1; the
  google/automl lion_pytorch.py reference implementation) in numpy.
* L-BFGS: torch.optim.LBFGS itself, on the Rosenbrock function and on a least
  squares problem, with and without the strong-Wolfe line search. The closures
  compute loss and gradient in plain Python float arithmetic (sequential sums),
  so the Go replay evaluates bit-identical objectives.
"""
import inspect
import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def initial_params():
    """W [3, 4] and b [4], the values of optimizers/helpers_test.go's model()."""
    w = np.array([math.sin(i + 0.5) * 0.8 for i in range(12)]).reshape(3, 4)
    b = np.array([0.1, -0.2, 0.3, -0.4])
    return {"W": w, "b": b}


def grads_for(params, k):
    """Gradients depending on the parameters and the step, with a zero at step 0."""
    out = {}
    for j, name in enumerate(["W", "b"]):
        v = params[name].reshape(-1)
        g = np.array([v[i] + 0.5 * math.cos(3 * k + i + 7 * j) for i in range(v.size)])
        if k == 0 and name == "b":
            g[1] = 0.0  # exercises sign(0) = 0 (Lion) and a zero first moment
        out[name] = g.reshape(params[name].shape)
    return out


def nadam_numpy(hyper, steps):
    lr, (beta1, beta2), eps = hyper["lr"], hyper["betas"], hyper["eps"]
    wd, psi, decoupled = hyper["weight_decay"], hyper["momentum_decay"], hyper["decoupled"]
    p = initial_params()
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    mu_product = 1.0
    out = []
    for k in range(steps):
        g = grads_for(p, k)
        t = k + 1
        bc2 = 1 - beta2 ** t
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        mu_product *= mu
        mu_product_next = mu_product * mu_next  # torch >= 2.0 (PR #92699)
        rec = {"grads": {n: g[n].reshape(-1).tolist() for n in p}}
        for n in ["W", "b"]:
            d = g[n]
            if decoupled:
                p[n] = p[n] * (1 - lr * wd)
            elif wd != 0:
                d = d + wd * p[n]
            m[n] = beta1 * m[n] + (1 - beta1) * d
            v2[n] = beta2 * v2[n] + (1 - beta2) * d * d
            den = np.sqrt(v2[n] / bc2) + eps
            p[n] = p[n] + (-lr * (1 - mu) / (1 - mu_product)) * d / den
            p[n] = p[n] + (-lr * mu_next / (1 - mu_product_next)) * m[n] / den
        rec["params_after"] = {n: p[n].reshape(-1).tolist() for n in p}
        out.append(rec)
    return out


def nadam_torch113(hyper, steps, patched):
    """torch 1.13's NAdam, optionally with PR #92699's one-line fix."""
    import torch.optim.nadam as nadam_mod

    original = nadam_mod._single_tensor_nadam
    if patched:
        src = inspect.getsource(original)
        bug = "mu_product_next = mu_product * mu * mu_next"
        assert bug in src, "torch's NAdam is not the 1.13 version this script patches"
        ns = dict(nadam_mod.__dict__)
        exec(src.replace(bug, "mu_product_next = mu_product * mu_next"), ns)
        nadam_mod._single_tensor_nadam = ns["_single_tensor_nadam"]
    try:
        assert hyper["decoupled"] is False
        p0 = initial_params()
        ps = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in p0.items()}
        opt = torch.optim.NAdam([ps["W"], ps["b"]], lr=hyper["lr"], betas=tuple(hyper["betas"]), eps=hyper["eps"],
                                weight_decay=hyper["weight_decay"], momentum_decay=hyper["momentum_decay"])
        out = []
        for k in range(steps):
            g = grads_for({n: t.detach().numpy() for n, t in ps.items()}, k)
            for n, t in ps.items():
                t.grad = torch.tensor(g[n])
            opt.step()
            out.append({"grads": {n: g[n].reshape(-1).tolist() for n in ps},
                        "params_after": {n: t.detach().numpy().reshape(-1).tolist() for n, t in ps.items()}})
        return out
    finally:
        nadam_mod._single_tensor_nadam = original


def lion_numpy(hyper, steps):
    lr, (beta1, beta2), wd = hyper["lr"], hyper["betas"], hyper["weight_decay"]
    p = initial_params()
    m = {k: np.zeros_like(v) for k, v in p.items()}
    out = []
    for k in range(steps):
        g = grads_for(p, k)
        rec = {"grads": {n: g[n].reshape(-1).tolist() for n in p}}
        for n in ["W", "b"]:
            p[n] = p[n] * (1 - lr * wd)
            c = beta1 * m[n] + (1 - beta1) * g[n]
            p[n] = p[n] - lr * np.sign(c)
            m[n] = beta2 * m[n] + (1 - beta2) * g[n]
        rec["params_after"] = {n: p[n].reshape(-1).tolist() for n in p}
        out.append(rec)
    return out


def rosenbrock(xy):
    x, y = xy
    f = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    return f, [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]


def least_squares_problem():
    rng = np.random.RandomState(0)
    a = rng.normal(size=(12, 5))
    b = rng.normal(size=12)
    return a.tolist(), b.tolist()


def least_squares(x, a, b):
    """0.5 * mean_i (a_i . x - b_i)^2 and its gradient, summed left to right."""
    n = len(b)
    r = []
    for i in range(n):
        s = 0.0
        for j in range(len(x)):
            s += a[i][j] * x[j]
        r.append(s - b[i])
    f = 0.0
    for i in range(n):
        f += r[i] * r[i]
    f = 0.5 * f / n
    g = []
    for j in range(len(x)):
        s = 0.0
        for i in range(n):
            s += a[i][j] * r[i]
        g.append(s / n)
    return f, g


def lbfgs_case(objective, x0, hyper, steps):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], **hyper)
    evals = [0]

    def closure():
        f, g = objective(x.detach().tolist())
        x.grad = torch.tensor(g, dtype=torch.float64)
        evals[0] += 1
        return torch.tensor(f, dtype=torch.float64)

    out = []
    for _ in range(steps):
        before = evals[0]
        loss = opt.step(closure)
        st = opt.state[opt._params[0]]
        out.append({"loss": float(loss), "evals": evals[0] - before, "n_iter": st["n_iter"],
                    "func_evals": st["func_evals"], "params_after": x.detach().tolist()})
    return out


def main():
    base = {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3, "decoupled": False}
    nadam_cases = {
        "default": dict(base),
        "weight_decay": dict(base, weight_decay=0.1),
        "decoupled": dict(base, weight_decay=0.1, decoupled=True),
        "betas_momentum_decay": dict(base, lr=0.02, betas=[0.8, 0.99], momentum_decay=0.01, eps=1e-6),
    }
    steps = 25
    nadam = {"source": "numpy, PyTorch >= 2.0 NAdam formula (see record_references.py)", "cases": {}}
    for name, h in nadam_cases.items():
        traj = nadam_numpy(h, steps)
        if not h["decoupled"]:
            fixed = nadam_torch113(h, steps, patched=True)
            for a, b in zip(traj, fixed):
                for n in a["params_after"]:
                    diff = np.max(np.abs(np.array(a["params_after"][n]) - np.array(b["params_after"][n])))
                    assert diff < 1e-13, (name, n, diff)
            nadam["cases"][name + "_torch113"] = {"hyper": h, "params": {n: {"shape": list(v.shape), "data": v.reshape(-1).tolist()}
                                                                         for n, v in initial_params().items()},
                                                  "steps": nadam_torch113(h, steps, patched=False)}
        nadam["cases"][name] = {"hyper": h, "params": {n: {"shape": list(v.shape), "data": v.reshape(-1).tolist()}
                                                       for n, v in initial_params().items()}, "steps": traj}

    lion_base = {"lr": 1e-3, "betas": [0.9, 0.99], "weight_decay": 0.0}
    lion_cases = {"default_lr1e-3": dict(lion_base), "weight_decay": dict(lion_base, weight_decay=0.5),
                  "betas": dict(lion_base, lr=3e-3, betas=[0.95, 0.98])}
    lion = {"source": "numpy, Chen et al. 2023 Program 1 (see record_references.py)", "cases": {}}
    for name, h in lion_cases.items():
        lion["cases"][name] = {"hyper": h, "params": {n: {"shape": list(v.shape), "data": v.reshape(-1).tolist()}
                                                      for n, v in initial_params().items()}, "steps": lion_numpy(h, steps)}

    a, b = least_squares_problem()
    ls = lambda x: least_squares(x, a, b)
    lbfgs = {"source": "torch.optim.LBFGS, torch " + torch.__version__, "least_squares": {"a": a, "b": b}, "cases": {
        "rosenbrock_strong_wolfe": {"objective": "rosenbrock", "x0": [-1.5, 2.0],
                                    "hyper": {"lr": 1, "max_iter": 20, "history_size": 10, "line_search_fn": "strong_wolfe"}},
        "rosenbrock_fixed_step": {"objective": "rosenbrock", "x0": [-1.5, 2.0],
                                  "hyper": {"lr": 0.05, "max_iter": 10, "history_size": 5}},
        "rosenbrock_short_history": {"objective": "rosenbrock", "x0": [-1.2, 1.0],
                                     "hyper": {"lr": 1, "max_iter": 15, "history_size": 2, "line_search_fn": "strong_wolfe"}},
        "least_squares_strong_wolfe": {"objective": "least_squares", "x0": [0.0] * 5,
                                       "hyper": {"lr": 1, "max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"}},
        "least_squares_fixed_step": {"objective": "least_squares", "x0": [1.0, -1.0, 0.5, 0.0, 2.0],
                                     "hyper": {"lr": 0.5, "max_iter": 6, "max_eval": 5}},
    }}
    for name, c in lbfgs["cases"].items():
        obj = rosenbrock if c["objective"] == "rosenbrock" else ls
        c["steps"] = lbfgs_case(obj, c["x0"], c["hyper"], 6)

    for fname, obj in [("nadam_reference.json", nadam), ("lion_reference.json", lion), ("lbfgs_reference.json", lbfgs)]:
        with open(os.path.join(HERE, fname), "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
