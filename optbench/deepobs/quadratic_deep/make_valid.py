#!/usr/bin/env python3
"""Writes valid.f32, DeepOBS v1.2's validation set of quadratic_deep, and checks
that the same recipe reproduces train.f32 and test.f32 byte for byte.

    /usr/bin/python3 optbench/deepobs/quadratic_deep/make_valid.py

DeepOBS (deepobs/{tensorflow,pytorch}/datasets/quadratic.py, v1.2) draws each
split as numpy.random.RandomState(seed).normal(0.0, noise_level=0.6,
(train_size=1000, dim=100)) cast to float32, with seed 42 for train, 43 for
test and 44 for the validation set (v1.1 had no validation set). hessian.f32,
train.f32 and test.f32 are copies of the shared bench/quadratic_deep files.
"""
import os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def draw(seed):
    return np.random.RandomState(seed).normal(0.0, 0.6, (1000, 100)).astype(np.float32)


for seed, name in [(42, "train.f32"), (43, "test.f32")]:
    have = np.fromfile(os.path.join(HERE, name), dtype="<f4").reshape(1000, 100)
    assert np.array_equal(have, draw(seed)), name + " is not RandomState(%d)'s draw" % seed
draw(44).astype("<f4").tofile(os.path.join(HERE, "valid.f32"))
print("valid.f32 written; train.f32 and test.f32 reproduce")
