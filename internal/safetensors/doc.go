// Package safetensors reads and writes the huggingface safetensors format,
// descent's checkpoint format.
//
// # Format
//
// A file is an 8-byte little-endian uint64 N, then N bytes of UTF-8 JSON
// (the header), then a byte buffer. The header maps each tensor name to
//
//	{"dtype": "F32", "shape": [10, 20], "data_offsets": [begin, end]}
//
// where the offsets are relative to the start of the buffer, end exclusive,
// plus an optional "__metadata__" object of string to string. Tensors are
// raw little-endian, row-major; a scalar has shape []. See
// https://github.com/huggingface/safetensors.
//
// # Core types
//
// Write (atomic, to a path) and Encode (to an io.Writer) store a list of
// Named tensors in the order given, F32 for graph.Float32 and F64 for
// graph.Float64, with an optional metadata map. The JSON header is padded
// with spaces to a multiple of 8 bytes and written compactly, "__metadata__"
// first (keys sorted), then the tensors in buffer order, so output is
// deterministic. Write goes through a temporary file in the target's
// directory, fsyncs it, renames it over the target and fsyncs the
// directory: a crash or error leaves either the old file or the new one,
// never a mix, and no temporary file behind.
//
// Read (a path), Decode (an io.ReaderAt) and DecodeBytes return a File: the
// tensors by name as *graph.Tensor, the names in buffer order, each
// tensor's Info (dtype, shape, offsets) and the metadata.
//
// # Validation
//
// Read enforces every rule of the reference implementation: the header
// length fits the file and is at most MaxHeaderSize; the header is valid
// UTF-8 and one JSON object starting with '{' (trailing JSON whitespace is
// the padding; any amount is accepted); names are unique; each entry has a
// known dtype, a shape and two data offsets with begin <= end, end within
// the buffer and end-begin == prod(shape)*sizeof(dtype), the product
// overflow-checked; sorted by offset, the tensors cover the buffer exactly,
// with no gap, overlap or trailing byte. Like the reference, unknown fields
// in an entry are ignored and duplicate fields are errors.
//
// # Where it differs from the reference
//
//   - descent computes in float32 and float64 only: a valid file holding any
//     other dtype (F16, BF16, I64, ...) is rejected with ErrUnsupported
//     rather than converted. Write rejects graph.Int tensors: checkpoints
//     never hold labels.
//   - graph.Tensor has no zero-size dimension, so a zero-size tensor (legal
//     in the format) is listed in File.Names and File.Infos but has no entry
//     in File.Tensors.
//   - The reference writer sorts tensors by dtype alignment then name;
//     Write keeps the caller's order. Readers must not depend on either.
//   - Write rejects empty tensor names, which the format allows.
//   - Read rejects shapes of more than 1024 dimensions (numpy allows 64),
//     so that a hostile header cannot make it hold millions of them.
//
// # Errors
//
// Nothing here panics on file contents. A malformed file gives a
// *FormatError wrapping ErrFormat (or ErrUnsupported), whose message names
// the file, the tensor and the fault, e.g.
//
//	safetensors: ckpt.safetensors: tensor "mlp/dense0/w": data_offsets [0 400] but shape [10 20] of F32 needs 800 bytes
//
// I/O errors are wrapped with %w. Invalid input to Write and Encode wraps
// graph.ErrName (empty, reserved or duplicate names), graph.ErrDType (nil or
// Int tensors) or graph.ErrShape (data that does not fill its shape).
package safetensors
