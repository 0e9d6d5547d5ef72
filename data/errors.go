package data

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Sentinel errors. Every error the package returns wraps one of them (or an
// underlying I/O error), so callers can test the kind with errors.Is and read
// the details in the message.
var (
	// ErrInvalid: an argument or configuration value is out of range.
	ErrInvalid = errors.New("invalid argument")
	// ErrFormat: a file or a dataset does not have the expected structure.
	ErrFormat = errors.New("malformed data")
	// ErrNotFound: the MNIST files could not be located.
	ErrNotFound = errors.New("not found")
)

// FileError reports a problem in a data file: which file, and where in it.
// Its message reads
//
//	data: CSV: data.csv: line 7, column "age": "abc" is not a number
//
// Line is 1-based and counts the header as line 1 (0 when the problem is not
// tied to a line); Column is empty when the problem is not tied to a column.
type FileError struct {
	Format string // "MNIST" or "CSV"
	Path   string // the file, as given to the loader
	Line   int
	Column string
	Msg    string // what was wrong
	Err    error  // ErrFormat, or the I/O error met reading the file
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("data: ")
	b.WriteString(e.Format)
	b.WriteString(": ")
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, ", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrFormat or the underlying I/O error.
func (e *FileError) Unwrap() error { return e.Err }

// formatErr builds a FileError for malformed content.
func formatErr(format, path string, line int, column, msg string, args ...any) *FileError {
	return &FileError{Format: format, Path: path, Line: line, Column: column,
		Msg: fmt.Sprintf(msg, args...), Err: ErrFormat}
}

// ioErr builds a FileError for an error met opening or reading a file. The
// path is not repeated when err is an *fs.PathError for the same file.
func ioErr(format, path string, err error) *FileError {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	return &FileError{Format: format, Path: path, Msg: msg, Err: err}
}

// NotFoundError reports that the MNIST files were not found; Looked lists the
// places searched, in order.
type NotFoundError struct {
	What   string   // what was searched for
	Looked []string // directories or files examined
	Hint   string   // how to fix it
}

func (e *NotFoundError) Error() string {
	msg := "data: FindMNIST: " + e.What + " not found"
	if len(e.Looked) > 0 {
		msg += " (looked in: " + strings.Join(e.Looked, ", ") + ")"
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// invalid formats an argument error: "data: Func: invalid argument: what".
func invalid(fn, format string, args ...any) error {
	return fmt.Errorf("data: %s: %w: %s", fn, ErrInvalid, fmt.Sprintf(format, args...))
}
