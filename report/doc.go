// Package report renders what a run produces, at the edge of the library
// (the CLI and the benchmarks use it; package train only calls hooks): a
// progress bar that fits the terminal, per-epoch metrics files (CSV or
// JSON lines) and charts of learning curves as PNG or SVG.
//
// # Charts
//
// Chart draws line series with gonum/plot: the y axis becomes logarithmic
// when the plotted values span more than two decades and are all
// positive; the legend sits above the plot area, never on the curves; a
// series that diverged (NaN or ±Inf) stops at its last finite point, which
// is marked with a cross and "diverged" in the legend, instead of
// stretching the axis. History plots a run's loss and accuracy per epoch.
//
// # Errors
//
// Writers return errors naming the file; nothing panics on user input.
package report
