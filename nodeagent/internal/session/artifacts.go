package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// startUpload uploads j's artifact archive in the background; the final
// status waits for it (the control plane accepts uploads only for a job
// still assigned to the agent).
func (s *Session) startUpload(ctx context.Context, j *job) {
	name := j.result.Artifacts
	if name != filepath.Base(name) || name == "." || name == ".." {
		s.log.Error().Str(logfield.JobID, j.id).Str(logfield.File, name).Msg("the runner named an artifact outside the job directory; not uploading it")
		s.uploadFailed(j, fmt.Errorf("the runner named the artifact %q, not a file of the job directory", name))
		return
	}
	j.uploading = true
	id, path := j.id, filepath.Join(j.dir, name)
	s.wg.Go(func() {
		err := s.uploadWithRetry(ctx, id, name, path)
		s.send(ctx, event{kind: evUploaded, jobID: id, err: err})
	})
}

// uploaded handles the end of an upload.
func (s *Session) uploaded(id string, err error) {
	j, ok := s.byID[id]
	if !ok {
		return
	}
	j.uploading = false
	if err != nil {
		s.uploadFailed(j, err)
	} else {
		s.log.Info().Str(logfield.JobID, id).Msg("uploaded the job's artifacts")
	}
	s.checkFinal(j)
}

// uploadFailed fails a job whose steps succeeded but whose artifacts could
// not be stored, telling why in its last step's log.
func (s *Session) uploadFailed(j *job, err error) {
	msg := "uploading the artifacts failed: " + err.Error()
	s.log.Error().Err(err).Str(logfield.JobID, j.id).Msg("uploading the artifacts failed")
	step := runner.LastStep(j.spec)
	if aerr := runner.AppendLogLine(j.dir, step, msg); aerr == nil && !j.limitHit {
		s.refreshSizes(j, true)
	}
	j.result = runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, Message: msg}
}

// uploadWithRetry retries what may succeed later: the control plane
// replaces an earlier upload of the same job and name, so retries are safe.
func (s *Session) uploadWithRetry(ctx context.Context, jobID, name, path string) error {
	for attempt := 0; ; attempt++ {
		err := s.upload(ctx, jobID, name, path)
		if err == nil || ctx.Err() != nil {
			return err
		}
		switch connect.CodeOf(err) {
		case connect.CodeInvalidArgument, connect.CodeNotFound, connect.CodePermissionDenied,
			connect.CodeFailedPrecondition, connect.CodeResourceExhausted, connect.CodeOutOfRange,
			connect.CodeUnimplemented, connect.CodeAlreadyExists:
			return err
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return err // the archive is unreadable; retrying will not help
		}
		s.log.Warn().Err(err).Str(logfield.JobID, jobID).Int(logfield.Attempt, attempt+1).Msg("uploading the artifacts failed; retrying")
		if !s.t.Backoff.Sleep(ctx, attempt) {
			return ctx.Err()
		}
	}
}

// upload sends the header, then the archive in UploadChunk pieces.
func (s *Session) upload(ctx context.Context, jobID, name, path string) error {
	f, err := os.Open(path) //nolint:gosec // G304: a file of the agent's own job directory
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := s.agents.UploadArtifact(ctx)
	if err != nil {
		return err
	}
	send := func(m *agentv1.UploadArtifactRequest) error {
		if err := cs.Send(m); err != nil {
			if errors.Is(err, io.EOF) {
				_, err = cs.CloseAndReceive() // the server's reason
			}
			return err
		}
		return nil
	}
	if err := send(&agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Header{Header: &agentv1.ArtifactHeader{JobId: jobID, Name: name}}}); err != nil {
		return err
	}
	buf := make([]byte, s.t.UploadChunk)
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			if err := send(&agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Data{Data: buf[:n]}}); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	res, err := cs.CloseAndReceive()
	if err != nil {
		return err
	}
	s.log.Debug().Str(logfield.JobID, jobID).Str(logfield.ArtifactID, res.GetArtifactId()).Uint64(logfield.Bytes, res.GetSizeBytes()).Msg("artifact stored")
	return nil
}
