// Package checkpoint saves and restores training state in the
// safetensors format (an 8-byte little-endian header length, a JSON header,
// raw little-endian tensors), so PyTorch's safetensors reader can open a
// descent checkpoint.
//
// A checkpoint holds every parameter and buffer (batch-norm running
// statistics) of a graph under its hierarchical name ("mlp/dense0/w"), the
// optimizer's moment buffers under "optimizer/<param>/<buffer>", any extra
// tensors under "extra/<name>" (the best weights kept by early stopping),
// and in the metadata: the format version, the dtype, the non-tensor part of
// the optimizer and schedule state (JSON), and the caller's own entries
// (model configuration, epoch, random stream states).
//
// Writes are atomic: a temporary file in the same folder, fsync, rename,
// fsync of the folder; a crash mid-write leaves the previous checkpoint
// intact. Loading checks the format, names, shapes and dtypes, and reports a
// corrupt or truncated file as an error, never a panic.
package checkpoint
