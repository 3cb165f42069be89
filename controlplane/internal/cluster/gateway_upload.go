package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// DefaultArtifactName names an upload whose header names none.
const DefaultArtifactName = "artifacts.tar.gz"

var validArtifactName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// UploadArtifact authenticates the agent, reads the header and streams the
// data messages into Jobs.UploadArtifact through a pipe, so an archive is
// never held whole in memory.
func (g *Gateway) UploadArtifact(ctx context.Context, cs *connect.ClientStream[agentv1.UploadArtifactRequest]) (*agentv1.UploadArtifactResponse, error) {
	hooks, err := hooksFrom(ctx)
	if err != nil {
		return nil, err
	}
	agent, err := g.authenticate(ctx, cs.RequestHeader())
	if err != nil {
		return nil, err
	}
	if !cs.Receive() {
		if err := cs.Err(); err != nil {
			return nil, err
		}
		return nil, invalidUpload("the upload is empty: the first message must be the header")
	}
	h := cs.Msg().GetHeader()
	if h == nil {
		return nil, invalidUpload("the first message must be the header")
	}
	jobID, err := uuid.Parse(h.GetJobId())
	if err != nil {
		return nil, invalidUpload("header: job id %q is not a job id", truncate(h.GetJobId()))
	}
	name := h.GetName()
	if name == "" {
		name = DefaultArtifactName
	}
	if !validArtifactName.MatchString(name) || strings.Trim(name, ".") == "" {
		return nil, invalidUpload("header: artifact name %q: use 1-100 letters, digits, '.', '_' or '-'", truncate(name))
	}

	// The pump is the only user of cs from here until it returns.
	pr, pw := io.Pipe()
	var (
		wg       sync.WaitGroup
		protoErr error // set by the pump before it closes pw
	)
	wg.Go(func() {
		for cs.Receive() {
			msg := cs.Msg()
			if msg.GetHeader() != nil {
				protoErr = invalidUpload("only the first message may be a header")
				pw.CloseWithError(protoErr)
				return
			}
			if _, err := pw.Write(msg.GetData()); err != nil {
				return // the consumer stopped reading
			}
		}
		pw.CloseWithError(cs.Err()) // nil: io.EOF for the reader
	})
	// A call ending (the agent gone, the server stopping) wakes a pump
	// blocked receiving, and through it a consumer blocked reading.
	unwatch := context.AfterFunc(ctx, hooks.closeBody)
	defer unwatch()
	res, err := g.jobs.UploadArtifact(ctx, agent.ID, jobID, name, pr)
	// Whatever Jobs did not read is refused: a pump blocked writing fails,
	// one blocked receiving is woken by closing the request body.
	_ = pr.CloseWithError(errors.New("the upload was not read to its end"))
	hooks.closeBody()
	wg.Wait()
	if protoErr != nil {
		return nil, protoErr
	}
	if err != nil {
		return nil, err
	}
	return uploadResponse(res), nil
}

func invalidUpload(format string, args ...any) error {
	return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(format, args...))
}
