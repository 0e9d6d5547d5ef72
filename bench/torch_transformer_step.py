#!/usr/bin/python3
"""Reference timing: one training step of a Transformer encoder classifier in
PyTorch on this CPU, the model of BenchmarkTrainStep/transformer.

Usage: /usr/bin/python3 torch_transformer_step.py [threads]
Needs Debian's python3-torch; run with /usr/bin/python3. Prints one line per
trial: microseconds per step (forward, loss, backward, Adam step).
Model: token embedding (100 x 64, padding 0) + learned positions, 2
nn.TransformerEncoderLayer(d_model 64, nhead 4, dim_feedforward 256, dropout 0,
ReLU, post-norm, batch_first), key-padding mask, mean over the positions,
LayerNorm, Linear(64, 2); batch 32, sequence 32; cross-entropy; Adam lr 1e-3.
"""
import math, sys, time
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.manual_seed(0)
torch.set_num_threads(threads)
D, T, N = 64, 32, 32


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(100, D, padding_idx=0)
        self.pos = torch.nn.Embedding(T, D)
        layer = torch.nn.TransformerEncoderLayer(D, 4, 256, 0.0, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(D)
        self.head = torch.nn.Linear(D, 2)

    def forward(self, x):
        pad = x == 0
        h = self.emb(x) * math.sqrt(D) + self.pos(torch.arange(x.shape[1]))
        h = self.enc(h, src_key_padding_mask=pad)
        keep = (~pad).float().unsqueeze(-1)
        return self.head(self.norm((h * keep).sum(1) / keep.sum(1)))


model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randint(1, 100, (N, T))
y = torch.randint(0, 2, (N,))
lossf = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad(set_to_none=False)
    loss = lossf(model(x), y)
    loss.backward()
    opt.step()


for _ in range(20):
    step()
for trial in range(5):
    n = 100
    t = time.perf_counter()
    for _ in range(n):
        step()
    el = time.perf_counter() - t
    print(f"torch threads={threads} transformer: {el / n * 1e6:.0f} us/step")
