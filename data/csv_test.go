package data

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		cfg        CSVConfig
		x          []float64
		xShape     graph.Shape
		y          []float64 // regression targets or labels
		classes    int
		classNames []string
		features   []string
	}{
		{
			name:     "regression",
			in:       "a,b,y\n1,2,3\n4, 5 ,9.5\n",
			cfg:      CSVConfig{Target: "y"},
			x:        []float64{1, 2, 4, 5},
			xShape:   graph.Shape{2, 2},
			y:        []float64{3, 9.5},
			features: []string{"a", "b"},
		},
		{
			name:     "target first, feature subset reordered",
			in:       "y,a,b,c\n1,2,3,4\n5,6,7,8\n",
			cfg:      CSVConfig{Target: "y", Features: []string{"c", "a"}, DType: graph.Float64},
			x:        []float64{4, 2, 8, 6},
			xShape:   graph.Shape{2, 2},
			y:        []float64{1, 5},
			features: []string{"c", "a"},
		},
		{
			name:       "integer labels in numeric order",
			in:         "x,label\n0.5,2\n1.5,0\n2.5,10\n",
			cfg:        CSVConfig{Target: "label", Task: Classification},
			x:          []float64{0.5, 1.5, 2.5},
			xShape:     graph.Shape{3, 1},
			y:          []float64{1, 0, 2},
			classes:    3,
			features:   []string{"x"},
			classNames: []string{"0", "2", "10"},
		},
		{
			name:       "-1/+1 labels",
			in:         "x,label\n0.5,-1\n1.5,1\n2.5,-1\n",
			cfg:        CSVConfig{Target: "label", Task: Classification},
			x:          []float64{0.5, 1.5, 2.5},
			xShape:     graph.Shape{3, 1},
			y:          []float64{0, 1, 0},
			classes:    2,
			features:   []string{"x"},
			classNames: []string{"-1", "1"},
		},
		{
			name:       "class names sorted",
			in:         "x,species\n1,setosa\n2,virginica\n3,versicolor\n4,setosa\n",
			cfg:        CSVConfig{Target: "species", Task: Classification},
			x:          []float64{1, 2, 3, 4},
			xShape:     graph.Shape{4, 1},
			y:          []float64{0, 2, 1, 0},
			classes:    3,
			classNames: []string{"setosa", "versicolor", "virginica"},
			features:   []string{"x"},
		},
		{
			// Found by FuzzCSV: "00" came back as class "0".
			name:       "integer classes keep the file's spelling",
			in:         "x,y\n1,01\n2,2\n3,1\n4,-1\n",
			cfg:        CSVConfig{Target: "y", Task: Classification},
			x:          []float64{1, 2, 3, 4},
			xShape:     graph.Shape{4, 1},
			y:          []float64{1, 2, 1, 0},
			classes:    3,
			classNames: []string{"-1", "01", "2"},
			features:   []string{"x"},
		},
		{
			name:     "byte order mark",
			in:       "\ufeffa,y\n1,2\n",
			cfg:      CSVConfig{Target: "y"},
			x:        []float64{1},
			xShape:   graph.Shape{1, 1},
			y:        []float64{2},
			features: []string{"a"},
		},
		{
			name:     "semicolons, quotes, scientific notation",
			in:       "\"a\";y\n\"1e-3\";-2\n",
			cfg:      CSVConfig{Target: "y", Comma: ';'},
			x:        []float64{1e-3},
			xShape:   graph.Shape{1, 1},
			y:        []float64{-2},
			features: []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := ReadCSV(strings.NewReader(tt.in), "t.csv", tt.cfg)
			require.NoError(t, err)
			require.NoError(t, ds.Validate())
			require.Equal(t, "t.csv", ds.Name)
			require.Equal(t, tt.xShape, ds.X.Shape())
			require.InDeltaSlice(t, tt.x, ds.X.Values(), 1e-6) // float32 rounding
			require.InDeltaSlice(t, tt.y, ds.Y.Values(), 1e-6)
			require.Equal(t, tt.classes, ds.Classes)
			require.Equal(t, tt.classNames, ds.ClassNames)
			require.Equal(t, tt.features, ds.FeatureNames)
			wantDT := tt.cfg.DType
			if wantDT == 0 {
				wantDT = graph.Float32
			}
			require.Equal(t, wantDT, ds.X.DType())
			if tt.classes == 0 {
				require.Equal(t, graph.Shape{ds.Len(), 1}, ds.Y.Shape())
				require.Equal(t, wantDT, ds.Y.DType())
			} else {
				require.Equal(t, graph.Int, ds.Y.DType())
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cfg  CSVConfig
		want string // the whole message
	}{
		{"malformed value", "id,age,y\n1,20,0\n2,21,0\n3,22,1\n4,23,1\n5,24,1\n6,abc,1\n",
			CSVConfig{Target: "y"}, `data: CSV: data.csv: line 7, column "age": "abc" is not a number`},
		{"malformed target", "a,y\n1,x\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: line 2, column "y": "x" is not a number`},
		{"empty value", "a,y\n,1\n", CSVConfig{Target: "y"},
			`data: CSV: data.csv: line 2, column "a": empty value (missing values are not supported)`},
		{"NaN", "a,y\nNaN,1\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: line 2, column "a": "NaN" is not a finite number`},
		{"float32 overflow", "a,y\n1e39,1\n", CSVConfig{Target: "y"},
			`data: CSV: data.csv: line 2, column "a": "1e39" overflows float32 (want a magnitude of at most 3.4028234663852886e+38, or float64 data)`},
		{"float32 overflow of the target", "a,y\n1,-3.5e38\n", CSVConfig{Target: "y"},
			`data: CSV: data.csv: line 2, column "y": "-3.5e38" overflows float32 (want a magnitude of at most 3.4028234663852886e+38, or float64 data)`},
		{"missing target", "a,b\n1,2\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: line 1, no target column "y" (columns: a, b)`},
		{"ragged row", "a,b,y\n1,2,3\n4,5\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: line 3, 2 fields (want 3, as in the header)`},
		{"empty file", "", CSVConfig{Target: "y"}, `data: CSV: data.csv: empty file (want a header row)`},
		{"no data rows", "a,y\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: no data rows after the header`},
		{"duplicate column", "a,a,y\n1,2,3\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: line 1, column "a": name is used by columns 1 and 2`},
		{"empty column name", "a,,y\n1,2,3\n", CSVConfig{Target: "y"}, `data: CSV: data.csv: line 1, column 2 has an empty name`},
		{"only the target", "y\n1\n", CSVConfig{Target: "y"},
			`data: CSV: data.csv: line 1, no feature columns: the target "y" is the only column`},
		{"unknown feature", "a,y\n1,2\n", CSVConfig{Target: "y", Features: []string{"b"}},
			`data: CSV: data.csv: line 1, no feature column "b" (columns: a, y)`},
		{"feature is target", "a,y\n1,2\n", CSVConfig{Target: "y", Features: []string{"y"}},
			`data: CSV: data.csv: line 1, feature column "y" is the target`},
		{"feature twice", "a,y\n1,2\n", CSVConfig{Target: "y", Features: []string{"a", "a"}},
			`data: CSV: data.csv: line 1, feature column "a" is listed twice`},
		{"empty label", "a,y\n1,\n", CSVConfig{Target: "y", Task: Classification},
			`data: CSV: data.csv: line 2, column "y": empty class label`},
		{"bare quote", "a,y\n1,2\n3,x\"y\n", CSVConfig{Target: "y"},
			`data: CSV: data.csv: line 3, bare " in non-quoted-field`},
		{"line after a multi-line field", "name,a,y\n\"two\nlines\",1,2\nz,q,3\n", CSVConfig{Target: "y", Features: []string{"a"}},
			`data: CSV: data.csv: line 4, column "a": "q" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in), "data.csv", tt.cfg)
			require.Error(t, err)
			require.ErrorIs(t, err, ErrFormat)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

func TestReadCSVConfigErrors(t *testing.T) {
	for _, cfg := range []CSVConfig{
		{},
		{Target: "y", DType: graph.Int},
		{Target: "y", Task: Task(7)},
	} {
		_, err := ReadCSV(strings.NewReader("a,y\n1,2\n"), "c.csv", cfg)
		require.ErrorIs(t, err, ErrInvalid, "%+v", cfg)
	}
}

func TestLoadCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(path, []byte("a,y\n1,2\n3,4\n"), 0o644))
	ds, err := LoadCSV(path, CSVConfig{Target: "y"})
	require.NoError(t, err)
	require.Equal(t, 2, ds.Len())
	require.Equal(t, path, ds.Name)

	missing := filepath.Join(dir, "missing.csv")
	_, err = LoadCSV(missing, CSVConfig{Target: "y"})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, "data: CSV: "+missing+": open: no such file or directory", err.Error())
}
