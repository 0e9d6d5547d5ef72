#!/usr/bin/python3
"""Records more module_* golden cases in the format of ../shared/golden's
README, section D, with PyTorch (Debian's python3-torch 1.13): variants the
shared folder does not hold (layer norm over two dimensions, embeddings of
3-d indices, one and three attention heads, float32 cases, pre-norm ReLU and
post-norm GELU encoders with other eps). TestGoldenModuleVariants replays
them. Usage: /usr/bin/python3 record_modules.py modules
"""
import json, math, torch, sys, zlib
out = sys.argv[1]
def T(t): return {"shape": list(t.shape), "data": [float(v) if t.is_floating_point() else int(v) for v in t.detach().reshape(-1).tolist()]}
def case(name, module, dtype, config, mod, inputs, x_key=None, extra_forward=None):
    dt = torch.float64 if dtype == "float64" else torch.float32
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    mod = mod.to(dt)
    with torch.no_grad():
        for n, p in mod.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dt) * 0.5 + (1.0 if n.endswith("norm1.weight") or n.endswith("norm2.weight") or n=="weight" and module=="layer_norm" else 0.0))
    ins = {}
    for k, v in inputs.items():
        if v.is_floating_point():
            v = v.to(dt).requires_grad_(True)
        ins[k] = v
    y = extra_forward(mod, ins)
    up = torch.randn(y.shape, generator=g, dtype=dt)
    (y * up).sum().backward()
    params = {n: T(p) for n, p in mod.named_parameters()}
    grads = {n: T(p.grad) for n, p in mod.named_parameters()}
    for k, v in ins.items():
        if v.is_floating_point():
            grads[k] = T(v.grad)
    d = {"kind": "module", "name": name, "module": module, "dtype": dtype, "config": config,
         "params": params, "inputs": {k: T(v) for k, v in ins.items()},
         "output": T(y), "upstream_grad": T(up), "grads": grads}
    json.dump(d, open(f"{out}/module_{name}.json", "w"))
torch.manual_seed(0)
# layer norm over two dims, float32, other eps
case("ho_layer_norm_2d_f32", "layer_norm", "float32", {"normalized_shape": [3, 4], "eps": 1e-3, "elementwise_affine": True},
     torch.nn.LayerNorm([3, 4], eps=1e-3), {"x": torch.randn(2, 3, 4)}, extra_forward=lambda m, i: m(i["x"]))
case("ho_layer_norm_2d_noaffine", "layer_norm", "float64", {"normalized_shape": [2, 5], "eps": 1e-6, "elementwise_affine": False},
     torch.nn.LayerNorm([2, 5], eps=1e-6, elementwise_affine=False), {"x": torch.randn(3, 2, 5)}, extra_forward=lambda m, i: m(i["x"]))
# embedding: no padding, 3-d indices with repeats; padding at the last row, float32
case("ho_embedding_3d", "embedding", "float64", {"num_embeddings": 5, "embedding_dim": 4, "padding_idx": None},
     torch.nn.Embedding(5, 4), {"indices": torch.randint(0, 5, (2, 3, 4))}, extra_forward=lambda m, i: m(i["indices"]))
case("ho_embedding_pad_last_f32", "embedding", "float32", {"num_embeddings": 6, "embedding_dim": 2, "padding_idx": 5},
     torch.nn.Embedding(6, 2, padding_idx=5), {"indices": torch.tensor([[5, 1, 5, 2], [0, 5, 3, 3]])}, extra_forward=lambda m, i: m(i["indices"]))
# attention: one head, three heads, float32
def mha(E, H, causal):
    m = torch.nn.MultiheadAttention(E, H, batch_first=True)
    def f(m, i):
        x = i["x"]; T_ = x.shape[1]
        mask = torch.triu(torch.full((T_, T_), float("-inf"), dtype=x.dtype), 1) if causal else None
        return m(x, x, x, attn_mask=mask, need_weights=False)[0]
    return m, f
m, f = mha(6, 1, False); case("ho_mha_1head", "multihead_attention", "float64", {"embed_dim": 6, "num_heads": 1, "causal": False}, m, {"x": torch.randn(3, 4, 6)}, extra_forward=f)
m, f = mha(9, 3, True); case("ho_mha_3heads_causal_f32", "multihead_attention", "float32", {"embed_dim": 9, "num_heads": 3, "causal": True}, m, {"x": torch.randn(2, 7, 9)}, extra_forward=f)
# encoder layers
def enc(d, h, ff, act, eps, nf, causal):
    m = torch.nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation=act, layer_norm_eps=eps, batch_first=True, norm_first=nf)
    m.train()
    def f(m, i):
        x = i["x"]; T_ = x.shape[1]
        mask = torch.triu(torch.full((T_, T_), float("-inf"), dtype=x.dtype), 1) if causal else None
        return m(x, src_mask=mask)
    return m, f
m, f = enc(6, 3, 10, "relu", 1e-6, True, False); case("ho_encoder_pre_relu", "transformer_encoder_layer", "float64",
    {"d_model": 6, "nhead": 3, "dim_feedforward": 10, "activation": "relu", "layer_norm_eps": 1e-6, "norm_first": True, "causal": False}, m, {"x": torch.randn(2, 4, 6)}, extra_forward=f)
m, f = enc(8, 4, 16, "gelu", 1e-5, False, True); case("ho_encoder_post_gelu_causal_f32", "transformer_encoder_layer", "float32",
    {"d_model": 8, "nhead": 4, "dim_feedforward": 16, "activation": "gelu", "layer_norm_eps": 1e-5, "norm_first": False, "causal": True}, m, {"x": torch.randn(3, 5, 8)}, extra_forward=f)
print("ok")
