#!/usr/bin/python3
"""Reference timing: one training step of descent's CNN presets in PyTorch on this CPU.

Usage: /usr/bin/python3 torch_cnn_step.py [threads] [preset] [batch]
Needs Debian's python3-torch; run with /usr/bin/python3.
Prints one line per trial: microseconds per step (forward, loss, backward, optimizer step).
Presets (as models.CNNConfig): mnist_2c2d = conv 32 5x5 same, ReLU, max pool 2, conv 64 5x5 same,
ReLU, max pool 2, dense 1024, ReLU, dense 10 (DeepOBS); small = the same with 16, 32 filters and 128
units. Softmax cross-entropy, SGD momentum 0.9, float32, inputs [batch, 1, 28, 28].
"""
import sys, time
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
preset = sys.argv[2] if len(sys.argv) > 2 else "mnist_2c2d"
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
c1, c2, hidden = {"mnist_2c2d": (32, 64, 1024), "small": (16, 32, 128)}[preset]
torch.manual_seed(0)
torch.set_num_threads(threads)
nn = torch.nn
model = nn.Sequential(nn.Conv2d(1, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(c2 * 49, hidden), nn.ReLU(), nn.Linear(hidden, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))
lossf = nn.CrossEntropyLoss()


def step():
    opt.zero_grad(set_to_none=False)
    loss = lossf(model(x), y)
    loss.backward()
    opt.step()


for _ in range(5):
    step()
for trial in range(5):
    n = 20
    t = time.perf_counter()
    for _ in range(n):
        step()
    el = time.perf_counter() - t
    print(f"torch threads={threads} {preset} batch={batch}: {el / n * 1e6:.0f} us/step")
