#!/usr/bin/env python3
"""An independent safetensors reader and writer, stdlib only (struct, json, array).

It follows the format as huggingface documents it, not descent's code, so that
TestPythonReference checks descent against a second implementation.

    safetensors_ref.py read FILE
        Validate FILE (strictly, as a writer's output should be) and print one
        JSON array per line:
            ["meta", {KEY: VALUE, ...}]                      (if present)
            ["tensor", NAME, DTYPE, SHAPE, COUNT, SUM, WSUM]  (buffer order)
        SUM and WSUM are the IEEE-754 bits, as 16 hex digits, of the float64
        sums of v[i] and of (i+1)*v[i], accumulated in order.
        Exits 1 with a message on stderr if FILE breaks the format.

    safetensors_ref.py write FILE
        Write a fixed file whose header order, key spacing and metadata
        position differ from descent's writer.
"""
import array
import json
import struct
import sys

SIZES = {"F32": 4, "F64": 8}
TYPECODES = {"F32": "f", "F64": "d"}


def fail(msg):
    sys.stderr.write("safetensors_ref: " + msg + "\n")
    sys.exit(1)


def no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            fail("duplicate key %r" % k)
        out[k] = v
    return out


def bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        fail("header length %d exceeds file" % n)
    if n % 8 != 0:
        fail("header length %d is not padded to a multiple of 8" % n)
    text = data[8 : 8 + n].decode("utf-8")
    if not text.startswith("{"):
        fail("header does not start with '{'")
    body = text.rstrip(" ")
    header = json.loads(body, object_pairs_hook=no_duplicates)
    buf = data[8 + n :]

    lines = []
    meta = header.pop("__metadata__", None)
    if meta is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            fail("__metadata__ is not a map of strings")
        lines.append(["meta", meta])

    entries = []
    for name, info in header.items():
        if set(info) != {"dtype", "shape", "data_offsets"}:
            fail("tensor %r: fields %r" % (name, sorted(info)))
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in SIZES:
            fail("tensor %r: dtype %r" % (name, dtype))
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            fail("tensor %r: shape %r" % (name, shape))
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * SIZES[dtype]:
            fail("tensor %r: offsets %r for shape %r" % (name, [begin, end], shape))
        entries.append((begin, end, name, dtype, shape, count))

    entries.sort()
    at = 0
    for begin, end, name, dtype, shape, count in entries:
        if begin != at:
            fail("tensor %r starts at %d, want %d" % (name, begin, at))
        at = end
        vals = array.array(TYPECODES[dtype])
        vals.frombytes(buf[begin:end])
        if sys.byteorder == "big":
            vals.byteswap()
        s = w = 0.0
        for i, v in enumerate(vals):
            s += v
            w += (i + 1) * v
        lines.append(["tensor", name, dtype, shape, count, bits(s), bits(w)])
    if at != len(buf):
        fail("tensors cover %d of %d buffer bytes" % (at, len(buf)))
    for line in lines:
        print(json.dumps(line))


def write(path):
    # Buffer order: layer/b, layer/w, empty, s. The header lists them in
    # another order, with default json spacing and the metadata in the middle.
    b = array.array("d", [1e-300, -0.0, 3.5])
    w = array.array("f", [i * 0.25 - 1 for i in range(6)])
    s = array.array("f", [7.0])
    if sys.byteorder == "big":
        for a in (b, w, s):
            a.byteswap()
    chunks = [b.tobytes(), w.tobytes(), b"", s.tobytes()]
    off = [0]
    for c in chunks:
        off.append(off[-1] + len(c))
    header = {
        "s": {"dtype": "F32", "shape": [], "data_offsets": [off[3], off[4]]},
        "layer/w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [off[1], off[2]]},
        "__metadata__": {"step": "12", "note": "\u00fcn\u00efcode \u2713"},
        "empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [off[2], off[3]]},
        "layer/b": {"dtype": "F64", "shape": [3], "data_offsets": [off[0], off[1]]},
    }
    text = json.dumps(header).encode("utf-8")  # ensure_ascii: \u escapes
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        fail("usage: safetensors_ref.py read|write FILE")
    {"read": read, "write": write}[sys.argv[1]](sys.argv[2])
