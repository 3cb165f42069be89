package spec

// The readers of the individual job fields. Each reports its own problems
// and returns what it could read.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) image(v *yaml.Node, ctx string) (string, bool) {
	s, ok := d.text(v, ctx, `"image"`)
	if !ok {
		return "", false
	}
	if s == "" || len(s) > 512 || strings.ContainsAny(s, " \t\r\n") {
		n := d.deref(v)
		d.errs.add(n.Line, n.Column, "%simage %s: write an image reference like golang:1.26 (at most 512 characters, no spaces)", prefix(ctx), quote(s))
		return "", false
	}
	return s, true
}

func (d *decoder) steps(f entry, ctx string) []Step {
	items, ok := d.list(f.val, ctx, `"steps"`, MaxStepsPerJob)
	if !ok {
		return nil
	}
	switch {
	case len(items) == 0:
		d.errs.add(f.key.Line, f.key.Column, `%s"steps" is empty: list at least one command`, prefix(ctx))
		return nil
	case len(items) > MaxStepsPerJob:
		d.errs.add(f.key.Line, f.key.Column, "%smore than %d steps; split the job", prefix(ctx), MaxStepsPerJob)
		return nil
	}
	out := make([]Step, 0, len(items))
	for i, item := range items {
		what := fmt.Sprintf("step %d", i+1)
		var st Step
		var nameNode, scriptNode *yaml.Node
		switch item.Kind {
		case yaml.MappingNode:
			haveRun := false
			for _, e := range d.mapping(item, ctx+": "+what, 0) {
				switch e.name {
				case "name":
					if s, ok := d.text(e.val, ctx, what+` "name"`); ok {
						nameNode, st.Name = d.deref(e.val), s
					}
				case "run":
					haveRun = true
					if s, ok := d.text(e.val, ctx, what+` "run"`); ok {
						scriptNode, st.Script = d.deref(e.val), s
					}
				default:
					d.unknownKey(e, ctx+": "+what, stepKeys)
				}
			}
			if !haveRun {
				d.errs.add(item.Line, item.Column, `%s%s has no "run": write the command under "run"`, prefix(ctx), what)
				continue
			}
		case yaml.ScalarNode:
			if s, ok := d.text(item, ctx, what); ok {
				scriptNode, st.Script = item, s
			}
		default:
			d.errs.add(item.Line, item.Column, `%s%s must be a command or a mapping with "name" and "run", not %s`, prefix(ctx), what, describe(item))
			continue
		}
		if scriptNode == nil || d.over {
			continue
		}
		switch {
		case strings.TrimSpace(st.Script) == "":
			d.errs.add(scriptNode.Line, scriptNode.Column, "%s%s is an empty command", prefix(ctx), what)
		case len(st.Script) > MaxScriptBytes:
			d.errs.add(scriptNode.Line, scriptNode.Column, "%s%s is %d bytes; a script may be at most %s", prefix(ctx), what, len(st.Script), humanBytes(MaxScriptBytes))
		}
		if nameNode != nil && st.Name != "" {
			if utf8.RuneCountInString(st.Name) > maxStepName || strings.ContainsAny(st.Name, "\r\n") {
				d.errs.add(nameNode.Line, nameNode.Column, "%s%s: a step name is one line of at most %d characters", prefix(ctx), what, maxStepName)
			}
		}
		if st.Name == "" {
			st.Name = defaultStepName(st.Script)
		}
		out = append(out, st)
	}
	return out
}

// defaultStepName is the script's first non-blank line, shortened: what a
// log viewer should show for an unnamed step.
func defaultStepName(script string) string {
	for line := range strings.SplitSeq(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) > maxStepName {
			line = string([]rune(line)[:maxStepName-1]) + "…"
		}
		return line
	}
	return ""
}

// env reads f's variables. Count limits are reported at f's key, which
// is in the job even when the value is an alias.
func (d *decoder) env(f entry, ctx, field string) map[string]string {
	entries, _ := d.mappingOf(f.val, ctx, field)
	if len(entries) == 0 {
		return nil
	}
	if len(entries) > MaxEnvVars {
		d.errs.add(f.key.Line, f.key.Column, "%s%d environment variables; the limit is %d", prefix(ctx), len(entries), MaxEnvVars)
		return nil
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		switch {
		case !validEnvName.MatchString(e.name):
			d.errs.add(e.key.Line, e.key.Column, "%senv name %s: use letters, digits and '_', not starting with a digit", prefix(ctx), quote(e.name))
			continue
		case bashReadonly[e.name]:
			d.errs.add(e.key.Line, e.key.Column, "%senv name %s is read-only in bash", prefix(ctx), quote(e.name))
			continue
		case strings.HasPrefix(strings.ToUpper(e.name), "HEARTH_"):
			d.errs.add(e.key.Line, e.key.Column, "%senv name %s: names starting with HEARTH_ are reserved for the variables Hearth sets", prefix(ctx), quote(e.name))
			continue
		}
		val := d.deref(e.val)
		if isNull(val) {
			out[e.name] = ""
			continue
		}
		if val.Kind != yaml.ScalarNode {
			d.errs.add(val.Line, val.Column, "%senv %s must be a string, number or true/false, not %s", prefix(ctx), e.name, describe(val))
			continue
		}
		s, ok := d.text(val, ctx, "env "+e.name)
		if !ok {
			continue
		}
		if len(s) > MaxScriptBytes {
			d.errs.add(val.Line, val.Column, "%senv %s is %d bytes; a value may be at most %s", prefix(ctx), e.name, len(s), humanBytes(MaxScriptBytes))
			continue
		}
		out[e.name] = s
	}
	return out
}

func (d *decoder) labels(f entry, ctx string) map[string]string {
	entries, _ := d.mappingOf(f.val, ctx, `"labels"`)
	if len(entries) == 0 {
		return nil
	}
	if len(entries) > MaxLabels {
		d.errs.add(f.key.Line, f.key.Column, "%s%d labels; the limit is %d", prefix(ctx), len(entries), MaxLabels)
		return nil
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		if !validLabelKey.MatchString(e.name) {
			d.errs.add(e.key.Line, e.key.Column, "%slabel key %s: use 1-63 letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit", prefix(ctx), quote(e.name))
			continue
		}
		val := d.deref(e.val)
		s := ""
		if !isNull(val) {
			var ok bool
			if s, ok = d.text(val, ctx, "label "+e.name); !ok {
				continue
			}
		}
		if !validLabelValue.MatchString(s) {
			d.errs.add(val.Line, val.Column, "%slabel %s: the value may hold at most 63 letters, digits, '.', '_', '/' or '-'", prefix(ctx), e.name)
			continue
		}
		out[e.name] = s
	}
	return out
}

func (d *decoder) needs(f entry, ctx string) []*yaml.Node {
	items, ok := d.list(f.val, ctx, `"needs"`, MaxJobs)
	if !ok {
		return nil
	}
	if len(items) > MaxJobs {
		d.errs.add(f.key.Line, f.key.Column, "%s\"needs\" lists more than %d jobs", prefix(ctx), MaxJobs)
		return nil
	}
	var out []*yaml.Node
	seen := map[string]bool{}
	for _, item := range items {
		name, ok := d.text(item, ctx, "a need")
		if !ok {
			continue
		}
		if seen[name] {
			d.errs.add(item.Line, item.Column, "%sneeds %s twice", prefix(ctx), quote(name))
			continue
		}
		seen[name] = true
		out = append(out, item)
	}
	return out
}

func (d *decoder) when(v *yaml.Node, ctx string) When {
	var w When
	wctx := prefix(ctx) + "when"
	entries, _ := d.mappingOf(v, ctx, `"when"`)
	for _, e := range entries {
		switch e.name {
		case "events":
			w.Events = d.events(e, wctx)
		case "branches":
			w.Branches = d.globs(e, wctx, "branch", refGlob)
		case "tags":
			w.Tags = d.globs(e, wctx, "tag", refGlob)
		case "paths":
			w.Paths = d.globs(e, wctx, "path", pathGlob)
		default:
			d.unknownKey(e, wctx, whenKeys)
		}
	}
	return w
}

func (d *decoder) events(e entry, ctx string) []string {
	items, ok := d.list(e.val, ctx, `"events"`, len(AllEvents()))
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errs.add(e.key.Line, e.key.Column, `%s: "events" is empty: leave it out to run on every event`, ctx)
		return nil
	}
	all := AllEvents()
	var out []string
	seen := map[string]bool{}
	for _, item := range items {
		ev, ok := d.text(item, ctx, "an event")
		if !ok {
			continue
		}
		switch {
		case !contains(all, ev):
			d.errs.add(item.Line, item.Column, "%s: unknown event %s%s; the events are %s", ctx, quote(ev), suggest(ev, all), strings.Join(all, ", "))
		case seen[ev]:
			d.errs.add(item.Line, item.Column, "%s: event %s listed twice", ctx, quote(ev))
		default:
			seen[ev] = true
			out = append(out, ev)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// globKind selects the extra rules of a glob list.
type globKind int

const (
	refGlob      globKind = iota // branch or tag names
	pathGlob                     // changed paths in the repository
	artifactGlob                 // files in the workspace
)

// globs reads a non-empty list of globs; what names one item ("branch").
func (d *decoder) globs(e entry, ctx, what string, kind globKind) []string {
	field := strconv.Quote(e.name)
	items, ok := d.list(e.val, ctx, field, MaxPatterns)
	if !ok {
		return nil
	}
	switch {
	case len(items) == 0:
		d.errs.add(e.key.Line, e.key.Column, "%s%s is empty: leave it out to match every %s", prefix(ctx), field, what)
		return nil
	case len(items) > MaxPatterns:
		d.errs.add(e.key.Line, e.key.Column, "%smore than %d %s patterns", prefix(ctx), MaxPatterns, what)
		return nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		p, ok := d.text(item, ctx, what+" pattern")
		if !ok {
			continue
		}
		if problem := globProblem(p, kind); problem != "" {
			d.errs.add(item.Line, item.Column, "%s%s pattern %s %s", prefix(ctx), what, quote(p), problem)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) artifacts(f entry, ctx string) Artifacts {
	var a Artifacts
	actx := prefix(ctx) + "artifacts"
	entries, ok := d.mappingOf(f.val, ctx, `"artifacts"`)
	if !ok {
		return a
	}
	havePaths := false
	for _, e := range entries {
		switch e.name {
		case "paths":
			havePaths = true
			a.Paths = d.globs(e, actx, "artifact", artifactGlob)
		case "expire_in":
			a.ExpireIn, _ = d.duration(e.val, actx, "expire_in", MinExpireIn, MaxExpireIn)
		default:
			d.unknownKey(e, actx, artifactsKeys)
		}
	}
	if !havePaths {
		d.errs.add(f.key.Line, f.key.Column, `%s has no "paths": list the files to keep`, actx)
	}
	return a
}

func (d *decoder) duration(v *yaml.Node, ctx, field string, lo, hi time.Duration) (time.Duration, bool) {
	s, ok := d.text(v, ctx, strconv.Quote(field))
	if !ok {
		return 0, false
	}
	n := d.deref(v)
	t, err := parseDuration(s)
	if err != nil {
		d.errs.add(n.Line, n.Column, "%s%s %s is not a duration: write it like 90s, 10m, 1h30m or 7d", prefix(ctx), field, quote(s))
		return 0, false
	}
	if t < lo || t > hi {
		d.errs.add(n.Line, n.Column, "%s%s %s is out of range: it must be between %s and %s", prefix(ctx), field, quote(s), formatDuration(lo), formatDuration(hi))
		return 0, false
	}
	return t, true
}

func (d *decoder) retry(v *yaml.Node, ctx string) (int, bool) {
	n := d.deref(v)
	if d.over {
		return 0, false
	}
	r, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil || r < 0 || r > MaxRetry {
		d.errs.add(n.Line, n.Column, "%sretry must be a whole number from 0 to %d, not %s", prefix(ctx), MaxRetry, describeValue(n))
		return 0, false
	}
	return r, true
}

// describeValue shows a scalar as written, anything else by its kind.
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return quote(n.Value)
	}
	return describe(n)
}
