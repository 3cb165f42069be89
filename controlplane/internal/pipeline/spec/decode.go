package spec

import (
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	topKeys       = []string{"jobs", "env", "defaults"}
	defaultsKeys  = []string{"image", "timeout", "retry", "labels"}
	jobKeys       = []string{"image", "steps", "env", "needs", "when", "timeout", "retry", "artifacts", "labels", "kubernetes", "secrets"}
	stepKeys      = []string{"name", "run"}
	whenKeys      = []string{"events", "branches", "tags", "paths"}
	artifactsKeys = []string{"paths", "expire_in"}

	validJobName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	validEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,255}$`)
	// bashReadonly are variables bash refuses to set; the agent's runner
	// refuses jobs exporting them, so refuse them here, with a position.
	bashReadonly = map[string]bool{"BASHOPTS": true, "BASH_VERSINFO": true, "EUID": true, "PPID": true, "SHELLOPTS": true, "UID": true}
	// The same rules as cluster and agent labels (package cluster), which
	// job labels are matched against.
	validLabelKey   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$`)
	validLabelValue = regexp.MustCompile(`^[A-Za-z0-9._/-]{0,63}$`)
)

// maxStepName bounds a step's display name.
const maxStepName = 100

// defaults holds the defaults: section; nil fields were not set.
type defaults struct {
	image   *string
	timeout *time.Duration
	retry   *int
	labels  map[string]string
}

// apply gives j the defaults of what the job did not set itself.
func (defs defaults) apply(j *Job, haveImage, haveTimeout, haveRetry bool) {
	if !haveImage && defs.image != nil {
		j.Image = *defs.image
	}
	switch {
	case haveTimeout:
	case defs.timeout != nil:
		j.Timeout = *defs.timeout
	default:
		j.Timeout = DefaultTimeout
	}
	if !haveRetry && defs.retry != nil {
		j.Retry = *defs.retry
	}
}

// parsedJob is a job with the nodes later checks need for positions.
type parsedJob struct {
	Job
	key   *yaml.Node   // the job's name in jobs:
	needs []*yaml.Node // needs items, parallel to Job.Needs
}

// hidden keys (".name") are ignored at the top level and under jobs: a
// place to define anchors.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

func (d *decoder) pipeline(root *yaml.Node) *Pipeline {
	root = d.deref(root)
	switch {
	case isNull(root):
		d.errs.add(1, 1, `the file is empty: it needs a "jobs:" mapping`)
		return nil
	case root.Kind != yaml.MappingNode:
		d.errs.add(root.Line, root.Column, `the file must be a mapping with a "jobs:" key, not %s`, describe(root))
		return nil
	}
	var jobsE, envE, defaultsE *entry
	for _, e := range d.mapping(root, "", 0) {
		switch {
		case hidden(e.name):
		case e.name == "jobs":
			jobsE = &e
		case e.name == "env":
			envE = &e
		case e.name == "defaults":
			defaultsE = &e
		default:
			d.errs.add(e.key.Line, e.key.Column, "unknown top-level key %s%s; the keys are jobs, env and defaults (keys starting with \".\" are ignored, a place for anchors)", quote(e.name), suggest(e.name, topKeys))
		}
	}
	var defs defaults
	if defaultsE != nil {
		defs = d.defaults(defaultsE.val)
	}
	var env map[string]string
	if envE != nil {
		env = d.env(*envE, "", `"env"`)
	}
	if jobsE == nil {
		if !d.over {
			d.errs.add(root.Line, root.Column, `no "jobs:" key: define the pipeline's jobs under a top-level "jobs:" mapping`)
		}
		return nil
	}
	jobs := d.jobs(jobsE, defs, env)
	d.checkNeeds(jobs)
	p := &Pipeline{Jobs: make([]Job, len(jobs))}
	for i, j := range jobs {
		p.Jobs[i] = j.Job
	}
	return p
}

func (d *decoder) defaults(v *yaml.Node) defaults {
	var defs defaults
	const ctx = "defaults"
	entries, _ := d.mappingOf(v, "", `"defaults"`)
	for _, e := range entries {
		switch e.name {
		case "image":
			if s, ok := d.image(e.val, ctx); ok {
				defs.image = &s
			}
		case "timeout":
			if t, ok := d.duration(e.val, ctx, "timeout", MinTimeout, MaxTimeout); ok {
				defs.timeout = &t
			}
		case "retry":
			if r, ok := d.retry(e.val, ctx); ok {
				defs.retry = &r
			}
		case "labels":
			defs.labels = d.labels(e, ctx)
		default:
			d.unknownKey(e, ctx, defaultsKeys)
		}
	}
	return defs
}

// unknownKey reports a key that is not one of known and returns the
// suggested key ("" if none).
func (d *decoder) unknownKey(e entry, ctx string, known []string) string {
	hint, best := suggestion(e.name, known)
	d.errs.add(e.key.Line, e.key.Column, "%sunknown key %s%s", prefix(ctx), quote(e.name), hint)
	return best
}

func (d *decoder) jobs(e *entry, defs defaults, env map[string]string) []*parsedJob {
	entries, ok := d.mappingOfNoun(e.val, "", `"jobs"`, "job")
	if !ok {
		return nil
	}
	var visible []entry
	for _, je := range entries {
		if !hidden(je.name) {
			visible = append(visible, je)
		}
	}
	switch {
	case len(visible) == 0:
		// Keys that were all refused have been reported already.
		if raw := d.deref(e.val); len(entries) > 0 || len(raw.Content) == 0 {
			d.errs.add(e.key.Line, e.key.Column, `"jobs" is empty: define at least one job`)
		}
		return nil
	case len(visible) > MaxJobs:
		d.errs.add(e.key.Line, e.key.Column, "%d jobs; a pipeline may have at most %d", len(visible), MaxJobs)
		return nil
	}
	out := make([]*parsedJob, 0, len(visible))
	for _, je := range visible {
		if j := d.job(je, defs, env); j != nil {
			out = append(out, j)
		}
		if d.over {
			return nil
		}
	}
	return out
}

func (d *decoder) job(e entry, defs defaults, env map[string]string) *parsedJob {
	j := &parsedJob{key: e.key, Job: Job{Name: e.name}}
	if !validJobName.MatchString(e.name) {
		d.errs.add(e.key.Line, e.key.Column, "job name %s: use 1-63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit", quote(e.name))
	}
	ctx := "job " + quote(e.name)
	body := d.deref(e.val)
	switch {
	case d.over:
		return nil
	case isNull(body):
		d.errs.add(e.key.Line, e.key.Column, `%s is empty: a job needs "steps"`, ctx)
		return j
	case body.Kind != yaml.MappingNode:
		d.errs.add(body.Line, body.Column, `%s must be a mapping with "steps", not %s`, ctx, describe(body))
		return j
	}
	var (
		haveImage, haveTimeout, haveRetry, haveSteps bool
		stepsTypo                                    bool
		jobEnv, labels                               map[string]string
		envNode                                      *yaml.Node
		secretsE                                     *entry
	)
	for _, f := range d.mapping(body, ctx, 0) {
		switch f.name {
		case "image":
			j.Image, haveImage = d.image(f.val, ctx)
		case "steps":
			haveSteps = true
			j.Steps = d.steps(f, ctx)
		case "env":
			envNode = f.key
			jobEnv = d.env(f, ctx, `"env"`)
		case "needs":
			j.needs = d.needs(f, ctx)
		case "when":
			j.When = d.when(f.val, ctx)
		case "timeout":
			j.Timeout, haveTimeout = d.duration(f.val, ctx, "timeout", MinTimeout, MaxTimeout)
		case "retry":
			j.Retry, haveRetry = d.retry(f.val, ctx)
		case "artifacts":
			j.Artifacts = d.artifacts(f, ctx)
		case "labels":
			labels = d.labels(f, ctx)
		case "kubernetes":
			j.Pod = d.pod(f, ctx)
		case "secrets":
			secretsE = &f
		default:
			stepsTypo = d.unknownKey(f, ctx, jobKeys) == "steps" || stepsTypo
		}
		if d.over {
			return nil
		}
	}
	if !haveSteps && !stepsTypo { // a misspelt steps key says enough
		d.errs.add(e.key.Line, e.key.Column, `%s has no "steps": list the commands it runs`, ctx)
	}
	for _, n := range j.needs {
		j.Needs = append(j.Needs, n.Value)
	}
	if j.When.Events == nil {
		j.When.Events = AllEvents()
	}
	if j.Artifacts.Paths != nil && j.Artifacts.ExpireIn == 0 {
		j.Artifacts.ExpireIn = DefaultExpireIn
	}
	defs.apply(&j.Job, haveImage, haveTimeout, haveRetry)
	j.Env = merge(env, jobEnv)
	if secretsE != nil { // after env: a variable comes from one place
		j.Secrets = d.secrets(*secretsE, ctx, j.Env)
	}
	if len(j.Env) > MaxEnvVars && envNode != nil {
		d.errs.add(envNode.Line, envNode.Column, "%s has %d environment variables with the top-level env; the limit is %d", ctx, len(j.Env), MaxEnvVars)
	}
	j.Labels = merge(defs.labels, labels)
	if len(j.Labels) > MaxLabels {
		d.errs.add(e.key.Line, e.key.Column, "%s has %d labels with the defaults; the limit is %d", ctx, len(j.Labels), MaxLabels)
	}
	return j
}

// merge returns base overlaid by over, nil when both are empty.
func merge(base, over map[string]string) map[string]string {
	if len(base)+len(over) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
