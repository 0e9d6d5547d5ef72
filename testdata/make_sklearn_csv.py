"""Writes the small real data sets of Debian's python3-sklearn as CSV files
with a header row, as users bring them: testdata/{iris,wine,breast_cancer,
digits,diabetes}.csv. Source: /usr/lib/python3/dist-packages/sklearn/
datasets/data (scikit-learn's bundled copies of the UCI and LARS data).

Labels are written as the original sources name them, so descent's CSV
loader has to map them to 0..K-1: iris species names, wine cultivars 1..3
(as in the UCI file), breast-cancer diagnoses M/B (as in the UCI WDBC
file), digits 0..9. Diabetes is the raw (unscaled) regression set.

Run with /usr/bin/python3 testdata/make_sklearn_csv.py from the repository root.
"""
import csv, gzip, os

SRC = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
OUT = os.path.dirname(os.path.abspath(__file__))


def rows(name):
    with open(os.path.join(SRC, name)) as f:
        r = csv.reader(f)
        head = next(r)
        return head, [row for row in r]


def write(name, header, data):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)


head, data = rows("iris.csv")
names = head[2:]
write("iris.csv", ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"],
      [r[:4] + [names[int(r[4])]] for r in data])

head, data = rows("wine_data.csv")
feats = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
         "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280_od315", "proline"]
write("wine.csv", feats + ["cultivar"], [r[:13] + [str(int(r[13]) + 1)] for r in data])

head, data = rows("breast_cancer.csv")
feats = [f"{s}_{k}" for k in ("mean", "se", "worst") for s in
         ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
          "concave_points", "symmetry", "fractal_dimension")]
write("breast_cancer.csv", feats + ["diagnosis"], [r[:30] + ["M" if r[30] == "0" else "B"] for r in data])

with gzip.open(os.path.join(SRC, "digits.csv.gz"), "rt") as f:
    data = [r for r in csv.reader(f)]
write("digits.csv", [f"pixel{i}" for i in range(64)] + ["digit"], [[str(int(float(v))) for v in r] for r in data])

with gzip.open(os.path.join(SRC, "diabetes_data_raw.csv.gz"), "rt") as f:
    x = [line.split() for line in f if line.strip()]
with gzip.open(os.path.join(SRC, "diabetes_target.csv.gz"), "rt") as f:
    y = [str(int(float(line))) for line in f if line.strip()]
write("diabetes.csv", ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"],
      [a + [b] for a, b in zip(x, y)])
