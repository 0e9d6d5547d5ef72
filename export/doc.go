// Package export writes descent models in formats other runtimes load.
// Its one format is ONNX: ONNX (or MarshalONNX) writes the forward graph
// of any outputs, as torch.onnx.export does for a module in eval mode.
//
// # What is written
//
// An ONNX model of operator set 17 (ai.onnx) and IR version 8, ONNX
// 1.12's, pinned: the ops use no operator past opset 17 (exact GELU is
// written as Div, Erf, Add and Mul, as torch writes it for opset 17, since
// Gelu is opset 20). The parameters and buffers become initializers
// named as in the graph ("mlp/dense0/w") holding their current values;
// the graph's inputs become the model's inputs, named as declared ("x",
// "tokens"), and their open dimensions stay dynamic: graph.Batch is the
// dimension "batch" (Options.Batch fixes it), graph.Seq "seq",
// graph.Open(k) "d<k>". Sizes an op needs at run time (a reshape keeping
// the batch and sequence dimensions, the positions of a sequence) are
// read with Shape from the inputs, never baked in.
//
// Every op is written in its Eval form: batch norm is
// BatchNormalization with the running statistics (training_mode 0), and
// dropout the identity. Float values have the graph's float type (FLOAT,
// or DOUBLE for a float64 graph: valid ONNX, though ONNX Runtime's CPU
// kernels of some operators, Erf for one, are float only); Int values
// are INT64: token and id inputs, masks (a comparison's BOOL is cast to
// INT64 and back to BOOL where a condition is read), indices.
//
// Ops describe their own ONNX form through graph.ONNXOp; those of packages
// graph and ops all have one, and a user op can implement it. The bytes
// are deterministic (proto's deterministic marshalling, initializers and
// nodes in graph order): exporting twice gives the same file.
//
// # Errors
//
// Nothing is written unless the whole model is built: an op without an
// ONNX form gives an *UnsupportedError naming it ("export: ONNX: op Foo
// has no ONNX form", wrapping ErrUnsupported), never a file that fails
// later; so does a gradient node (graph.Grad). A graph with a build error,
// failed or nil outputs, outputs of two graphs and bad options are errors
// too. Nothing panics; a panic in a user op's form is recovered and
// returned.
//
// # How it is checked
//
// The tests export every built-in model (linear, softmax regression, MLPs
// with batch norm, dropout and each activation, the CNN presets with and
// without batch norm, Transformer classifiers pre- and post-norm with
// ReLU and GELU, learned and sinusoidal positions, matrix factorisation),
// run onnx.checker.check_model(full_check=True) (python3-onnx 1.12) on each
// file and execute it with ONNX Runtime (onnxruntime-node): on MNIST test
// images, recall sequences and user-item pairs, at two batch sizes (and
// two sequence lengths), its outputs match descent's Eval outputs to 1e-5
// in float32 (measured: 1.5e-6 at most, on trained models with logits of
// a few units). One more model has an output per op form of packages
// graph and ops, checked the same way. Those tests skip without python3-onnx or onnxruntime-node
// (DESCENT_ORT_DIR names a folder with node_modules/onnxruntime-node);
// DESCENT_ONNX_REQUIRED=1 makes them fail instead (.ci/onnx-test).
package export
