package gatewaytest_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// h2c is an HTTP/2-without-TLS client, as the agent uses.
func h2c() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols), DialContext: (&net.Dialer{}).DialContext}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

func auth(cred string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+cred)
			return next(ctx, req)
		}
	}))
}

// The fake stores contiguous bytes only, as the control plane does:
// duplicates are dropped, overlaps trimmed, gaps refused with the end.
func TestLogStorageRules(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	reg := agentv1connect.NewRegistrationServiceClient(h2c(), gw.URL)
	res, err := reg.Register(t.Context(), &agentv1.RegisterRequest{JoinToken: gatewaytest.JoinToken, ProtocolVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	client := agentv1connect.NewAgentServiceClient(h2c(), gw.URL)
	ctx, info := connect.NewClientContext(t.Context())
	info.RequestHeader().Set("Authorization", "Bearer "+res.GetCredential())
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := client.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(m *agentv1.ConnectRequest) {
		t.Helper()
		if err := conn.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() *agentv1.ConnectResponse {
		t.Helper()
		for {
			m, err := conn.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if m.GetHeartbeat() == nil {
				return m
			}
		}
	}
	send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: &agentv1.Hello{ProtocolVersion: 1, Capacity: 1}}})
	if recv().GetWelcome() == nil {
		t.Fatal("no Welcome first")
	}
	chunk := func(off uint64, data string) uint64 {
		t.Helper()
		send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_LogChunk{LogChunk: &agentv1.LogChunk{JobId: "j", Step: 1, Offset: off, Data: []byte(data)}}})
		return recv().GetLogAck().GetOffset()
	}
	for _, c := range []struct {
		off  uint64
		data string
		ack  uint64
	}{
		{0, "hello", 5},  // new
		{0, "hel", 5},    // duplicate
		{3, "lo wor", 9}, // overlap: "wor" stored
		{12, "xyz", 9},   // gap: refused
		{9, "ld", 11},
	} {
		if got := chunk(c.off, c.data); got != c.ack {
			t.Fatalf("chunk at %d %q: ack %d, want %d", c.off, c.data, got, c.ack)
		}
	}
	if got := string(gw.Log("j", 1)); got != "hello world" {
		t.Fatalf("stored %q", got)
	}
	if s := gw.Stats(); s.Duplicates != 1 || s.Gaps != 1 {
		t.Fatalf("stats %+v", s)
	}
	// A final status claiming more than is stored is a violation.
	send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: &agentv1.JobStatus{JobId: "j", State: agentv1.JobState_JOB_STATE_SUCCESS, LogLengths: []uint64{0, 12}}}})
	if a := recv().GetJobStatusAck(); a.GetJobId() != "j" {
		t.Fatalf("ack %v", a)
	}
	if v := gw.Violations(); len(v) != 1 {
		t.Fatalf("violations %v", v)
	}
	// Refused credentials.
	gw.RevokeAll()
	if _, err := conn.Receive(); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("after RevokeAll: %v", err)
	}
	_, err = reg.RotateCredential(t.Context(), &agentv1.RotateCredentialRequest{})
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("rotate without a credential: %v", err)
	}
	regAuthed := agentv1connect.NewRegistrationServiceClient(h2c(), gw.URL, auth(res.GetCredential()))
	if _, err := regAuthed.RotateCredential(t.Context(), &agentv1.RotateCredentialRequest{}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("rotate after revocation: %v", err)
	}
}
