package spec

import (
	"time"
)

// Limits. A .hearth.yml comes from any commit anyone with push access
// writes, so every dimension is bounded; the values are generous for real
// pipelines and small enough that a hostile file costs little to reject.
const (
	// MaxFileBytes is checked before any parsing.
	MaxFileBytes = 1 << 20
	// MaxJobs bounds the jobs of one pipeline.
	MaxJobs = 500
	// MaxStepsPerJob bounds the steps of one job.
	MaxStepsPerJob = 100
	// MaxScriptBytes bounds one step's script (and one env value).
	MaxScriptBytes = 64 << 10
	// MaxEnvVars bounds a job's environment after merging the top-level env.
	MaxEnvVars = 100
	// MaxLabels bounds a job's labels after merging defaults (as for clusters).
	MaxLabels = 32
	// MaxPatterns bounds each list of globs (branches, tags, paths, artifact paths).
	MaxPatterns = 100
	// MaxPatternBytes bounds one glob.
	MaxPatternBytes = 1024
	// MaxErrors is how many problems one Parse reports; the rest are counted.
	MaxErrors = 20
	// MaxNodes and MaxExpandedBytes bound the work of reading the document
	// with YAML aliases and merge keys resolved, so a small file cannot
	// expand into an enormous one ("billion laughs").
	MaxNodes         = 1_000_000
	MaxExpandedBytes = 8 << 20

	// DefaultTimeout applies when neither the job nor defaults set one.
	DefaultTimeout = time.Hour
	// MinTimeout and MaxTimeout bound timeout.
	MinTimeout = time.Second
	MaxTimeout = 24 * time.Hour
	// MaxRetry bounds retry.
	MaxRetry = 3
	// DefaultExpireIn is how long artifacts are kept unless expire_in says otherwise.
	DefaultExpireIn = 30 * 24 * time.Hour
	// MinExpireIn and MaxExpireIn bound expire_in.
	MinExpireIn = time.Minute
	MaxExpireIn = 365 * 24 * time.Hour
)

// Event kinds a pipeline can be triggered by.
const (
	EventPush         = "push"
	EventMergeRequest = "merge_request"
	EventTag          = "tag"
	EventManual       = "manual"
	EventSchedule     = "schedule"
)

// AllEvents returns every event kind, in documentation order. A job without
// when.events runs on all of them.
func AllEvents() []string {
	return []string{EventPush, EventMergeRequest, EventTag, EventManual, EventSchedule}
}

// Pipeline is a parsed .hearth.yml.
type Pipeline struct {
	// Jobs in file order. Parse guarantees unique names, needs that name
	// other jobs of the pipeline, and no cycles among needs.
	Jobs []Job
}

// Job is one job: steps run in order by one agent.
type Job struct {
	Name  string
	Image string // empty: the runner's default (the process runner ignores images)
	Steps []Step
	// Env is the job's environment with the top-level env merged under it.
	Env   map[string]string
	Needs []string // names of jobs that must succeed first, as written
	When  When
	// Timeout bounds the whole job, checkout included (default 1h).
	Timeout time.Duration
	// Retry is how many times a failed job is run again automatically (0-3).
	Retry     int
	Artifacts Artifacts
	// Labels an agent must carry to run the job, defaults merged under it.
	Labels map[string]string
	// Pod is the job's `kubernetes:` section (nil: none).
	Pod *Pod
	// Secrets are the secrets the job asks for, resolved at dispatch.
	Secrets []SecretRef
}

// Step is one shell script. Name defaults to the script's first line.
type Step struct {
	Name   string
	Script string
}

// Artifacts are the files a successful job uploads.
type Artifacts struct {
	Paths    []string      // globs relative to the workspace
	ExpireIn time.Duration // default 30 days
}

// When says which events run a job. Parse fills Events with AllEvents when
// the file leaves it out; an empty Events in a hand-built Job also means all.
type When struct {
	Events   []string
	Branches []string // globs over branch names (refs/heads/ stripped)
	Tags     []string // globs over tag names (refs/tags/ stripped)
	Paths    []string // globs over changed file paths
}

// Event is what happened to a repository: Matches and Select decide which
// jobs it runs.
type Event struct {
	Kind string // push | merge_request | tag | manual | schedule
	// Ref is the full ref the pipeline runs for: refs/heads/<branch> or
	// refs/tags/<tag>. For a merge request, the source branch.
	Ref string
	// ChangedPaths are the files the event changed. nil means unknown (a new
	// branch, a tag, a manual run): path globs then match. An empty, non-nil
	// slice means nothing changed: path globs then do not match.
	ChangedPaths []string
}

// Job returns the job called name.
func (p *Pipeline) Job(name string) (Job, bool) {
	for _, j := range p.Jobs {
		if j.Name == name {
			return j, true
		}
	}
	return Job{}, false
}
