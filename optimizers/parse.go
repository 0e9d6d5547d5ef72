package optimizers

import (
	"fmt"
	"strconv"
	"strings"
)

// ScheduleSpec is a parsed --schedule flag: a closed-form Schedule, or a
// reduce-on-plateau configuration. Exactly one of the fields is set.
type ScheduleSpec struct {
	Schedule Schedule
	Plateau  *PlateauConfig
}

// Bind attaches the schedule to an optimizer (NewScheduler or NewPlateau).
func (s ScheduleSpec) Bind(opt LRGroups) (LRScheduler, error) {
	switch {
	case s.Plateau != nil && s.Schedule == nil:
		return NewPlateau(opt, *s.Plateau)
	case s.Schedule != nil && s.Plateau == nil:
		return NewScheduler(opt, s.Schedule)
	}
	return nil, fmt.Errorf("optimizers: ScheduleSpec.Bind: %w: want exactly one of Schedule and Plateau", ErrSchedule)
}

// String returns the spec in ParseSchedule's syntax, with every default
// spelled out.
func (s ScheduleSpec) String() string {
	if s.Plateau != nil {
		return fmt.Sprintf("plateau:%s:%d", ftoa(s.Plateau.Factor), s.Plateau.Patience)
	}
	if st, ok := s.Schedule.(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprintf("%T", s.Schedule)
}

// ParseSchedule reads the --schedule flag. Forms (k counts optimizer
// steps from 0; brackets mark optional fields, with torch's defaults):
//
//	constant (or "")         the initial lr throughout
//	step:S[:G]               StepDecay{S, G}: lr*G^floor(k/S); G = 0.1
//	multistep:M1,M2,..[:G]   MultiStep{[M1 M2 ..], G}; G = 0.1
//	exp:G                    Exponential{G}: lr*G^k
//	cosine:T[:ETA]           Cosine{T, ETA}: annealing to ETA (0) at k = T
//	warmup:W                 Warmup{W, Constant}: lr*(k+1)/W for k < W
//	warmup:W,<schedule>      Warmup{W, schedule}: the schedule starts after
//	                         the W warm-up steps ("warmup:5,cosine:50";
//	                         "+" also separates: "warmup:5+cosine:50")
//	plateau[:F[:P]]          Plateau with Factor F (0.1) and Patience P (10),
//	                         other fields as PlateauDefaults; it cannot
//	                         follow a warm-up
//
// Errors wrap ErrSchedule (ErrUnknown too for an unknown name; ErrHyper
// for an out-of-range value).
func ParseSchedule(spec string) (ScheduleSpec, error) {
	parts := splitSpec(strings.TrimSpace(spec))
	if len(parts) == 0 {
		return ScheduleSpec{Schedule: Constant{}}, nil
	}
	var warm *Warmup
	if name, args := fields(parts[0]); name == "warmup" {
		if len(args) != 1 {
			return ScheduleSpec{}, specErr(spec, "warmup takes one field, warmup:W")
		}
		w, err := atoi(spec, args[0])
		if err != nil {
			return ScheduleSpec{}, err
		}
		warm = &Warmup{Steps: w}
		parts = parts[1:]
	}
	if len(parts) > 1 {
		return ScheduleSpec{}, specErr(spec, "at most a warm-up and one schedule")
	}
	var out ScheduleSpec
	if len(parts) == 1 {
		var err error
		if out, err = parseOne(spec, parts[0]); err != nil {
			return ScheduleSpec{}, err
		}
	}
	if warm != nil {
		if out.Plateau != nil {
			return ScheduleSpec{}, specErr(spec, "plateau cannot follow a warm-up")
		}
		warm.Then = out.Schedule
		if warm.Then == nil {
			warm.Then = Constant{}
		}
		out.Schedule = *warm
	}
	if v, ok := out.Schedule.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return ScheduleSpec{}, err
		}
	}
	if out.Plateau != nil {
		if err := out.Plateau.validate(); err != nil {
			return ScheduleSpec{}, err
		}
	}
	return out, nil
}

// splitSpec splits at '+' and ',' but keeps a multistep milestone list
// whole: a piece that starts with a digit continues the previous one. A
// '+' in an exponent ("exp:1e+21", as String writes large values) does not
// split.
func splitSpec(spec string) []string {
	var parts []string
	for _, plus := range splitPlus(spec) {
		for _, p := range strings.Split(plus, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if len(parts) > 0 && p[0] >= '0' && p[0] <= '9' {
				parts[len(parts)-1] += "," + p
				continue
			}
			parts = append(parts, p)
		}
	}
	return parts
}

// splitPlus splits s at every '+' that is not the sign of an exponent,
// i.e. not right after an 'e' or 'E' that follows a digit or a '.'.
func splitPlus(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '+' {
			continue
		}
		if i >= 2 && (s[i-1] == 'e' || s[i-1] == 'E') && (s[i-2] >= '0' && s[i-2] <= '9' || s[i-2] == '.') {
			continue
		}
		out = append(out, s[start:i])
		start = i + 1
	}
	return append(out, s[start:])
}

func fields(part string) (string, []string) {
	f := strings.Split(part, ":")
	return strings.ToLower(strings.TrimSpace(f[0])), f[1:]
}

func parseOne(spec, part string) (ScheduleSpec, error) {
	name, args := fields(part)
	nargs := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return specErr(spec, fmt.Sprintf("%s takes %d to %d fields (got %d)", name, lo, hi, len(args)))
		}
		return nil
	}
	var err error
	gamma := func(i int, def float64) float64 {
		if i >= len(args) || err != nil {
			return def
		}
		var v float64
		v, err = atof(spec, args[i])
		return v
	}
	integer := func(i int) int {
		if err != nil {
			return 0
		}
		var v int
		v, err = atoi(spec, args[i])
		return v
	}
	var out ScheduleSpec
	switch name {
	case "constant":
		err = nargs(0, 0)
		out.Schedule = Constant{}
	case "step":
		if err = nargs(1, 2); err == nil {
			out.Schedule = StepDecay{StepSize: integer(0), Gamma: gamma(1, 0.1)}
		}
	case "multistep":
		if err = nargs(1, 2); err == nil {
			var ms []int
			for _, m := range strings.Split(args[0], ",") {
				var v int
				if v, err = atoi(spec, m); err != nil {
					break
				}
				ms = append(ms, v)
			}
			out.Schedule = MultiStep{Milestones: ms, Gamma: gamma(1, 0.1)}
		}
	case "exp":
		if err = nargs(1, 1); err == nil {
			out.Schedule = Exponential{Gamma: gamma(0, 0)}
		}
	case "cosine":
		if err = nargs(1, 2); err == nil {
			out.Schedule = Cosine{TMax: integer(0), EtaMin: gamma(1, 0)}
		}
	case "plateau":
		if err = nargs(0, 2); err == nil {
			cfg := PlateauDefaults()
			cfg.Factor = gamma(0, cfg.Factor)
			if len(args) > 1 {
				cfg.Patience = integer(1)
			}
			out.Plateau = &cfg
		}
	case "warmup":
		err = specErr(spec, "warmup must come first")
	default:
		err = fmt.Errorf("optimizers: ParseSchedule %q: %w: %w: %q (want constant, step, multistep, exp, cosine, warmup or plateau)", spec, ErrSchedule, ErrUnknown, name)
	}
	return out, err
}

func specErr(spec, why string) error {
	return fmt.Errorf("optimizers: ParseSchedule %q: %w: %s", spec, ErrSchedule, why)
}

func atoi(spec, s string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, specErr(spec, fmt.Sprintf("%q is not an integer", s))
	}
	return v, nil
}

func atof(spec, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, specErr(spec, fmt.Sprintf("%q is not a number", s))
	}
	return v, nil
}
