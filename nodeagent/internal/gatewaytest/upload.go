package gatewaytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"connectrpc.com/connect"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func (s *Server) upload(_ context.Context, cs *connect.ClientStream[agentv1.UploadArtifactRequest]) (*agentv1.UploadArtifactResponse, error) {
	s.mu.Lock()
	_, err := s.authLocked(bearerHeader(cs.RequestHeader()))
	s.uploads++
	var fail connect.Code
	if err == nil && len(s.uploadFail) > 0 {
		fail = s.uploadFail[0]
		s.uploadFail = s.uploadFail[1:]
	}
	s.notifyLocked()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !cs.Receive() {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("the first message must be the header"))
	}
	h := cs.Msg().GetHeader()
	if h == nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("the first message must be the header"))
	}
	name := h.GetName()
	if name == "" {
		name = "artifacts.tar.gz"
	}
	var data []byte
	for cs.Receive() {
		if cs.Msg().GetHeader() != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("only the first message may be a header"))
		}
		if len(cs.Msg().GetData()) > 4<<20 {
			s.mu.Lock()
			s.violation("an artifact data message of %d bytes", len(cs.Msg().GetData()))
			s.mu.Unlock()
		}
		data = append(data, cs.Msg().GetData()...)
	}
	if err := cs.Err(); err != nil {
		return nil, err
	}
	if fail != connect.Code(0) {
		return nil, connect.NewError(fail, errors.New("gatewaytest: upload failure requested by the test"))
	}
	sum := sha256.Sum256(data)
	s.mu.Lock()
	s.artifacts[h.GetJobId()+"/"+name] = data
	s.notifyLocked()
	s.mu.Unlock()
	return &agentv1.UploadArtifactResponse{
		ArtifactId: "artifact-" + h.GetJobId(), SizeBytes: uint64(len(data)), Sha256: hex.EncodeToString(sum[:]),
	}, nil
}
