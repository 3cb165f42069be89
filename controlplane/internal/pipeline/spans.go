package pipeline

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
)

// Spans receives a span of every finished job and pipeline: Hearth's own
// telemetry (the observe feature, with --self-telemetry-project). It must
// not block. Nil: none.
type Spans interface {
	Finished(s FinishedSpan)
}

// FinishedSpan is one finished pipeline (JobID uuid.Nil) or job. A
// pipeline is the trace (its id is the trace id), its jobs the root
// span's children.
type FinishedSpan struct {
	ProjectID, PipelineID, JobID uuid.UUID
	Name                         string
	Start, End                   time.Time
	// Failed: the pipeline or job did not succeed.
	Failed     bool
	Attributes map[string]string
}

func jobSpan(j db.Job, state State, now time.Time) FinishedSpan {
	start := j.CreatedAt
	if j.StartedAt != nil {
		start = *j.StartedAt
	}
	return FinishedSpan{
		ProjectID: j.ProjectID, PipelineID: j.PipelineID, JobID: j.ID, Name: "job " + j.Name, Start: start, End: now,
		Failed: state != StateSuccess,
		Attributes: map[string]string{
			"hearth.job.id": j.ID.String(), "hearth.job.state": string(state), "hearth.job.attempt": strconv.Itoa(int(j.Attempt)),
			"hearth.project.id": j.ProjectID.String(),
		},
	}
}

func pipelineSpan(p db.Pipeline, now time.Time) FinishedSpan {
	start, end := p.CreatedAt, now
	if p.FinishedAt != nil {
		end = *p.FinishedAt
	}
	return FinishedSpan{
		ProjectID: p.ProjectID, PipelineID: p.ID, Name: "pipeline", Start: start, End: end, Failed: State(p.State) != StateSuccess,
		Attributes: map[string]string{
			"hearth.pipeline.id": p.ID.String(), "hearth.pipeline.number": strconv.FormatInt(p.Number, 10), "hearth.pipeline.state": p.State,
			"hearth.ref": p.Ref, "hearth.commit": p.CommitSha, "hearth.project.id": p.ProjectID.String(),
		},
	}
}
