// Package onnxpb is the Go code protoc-gen-go generates from onnx.proto,
// the schema of ONNX 1.12 (IR version 8, opset 17) as Debian's
// python3-onnx and libonnx-dev ship it
// (/usr/lib/python3/dist-packages/onnx/onnx.proto, unchanged; sha256
// a96f50c0fe1ff9180b6025843d4f7efcf53b024c83db55a36cd24a1e44345182).
// Package export builds ONNX models with it.
//
// onnx.pb.go is committed: building needs no protoc. To regenerate it
// (protoc 3.21.12 from Debian's protobuf-compiler; the plugin is pinned as
// a tool in go.mod):
//
//	go generate ./internal/onnxpb
package onnxpb

//go:generate sh -c "protoc -I . --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/descent-ml/descent/internal/onnxpb onnx.proto"
