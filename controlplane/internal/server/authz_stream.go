package server

import (
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// newRequestMessage returns an empty request message of the RPC's input
// type (the generated Go type, so the handler can take it as its own).
func newRequestMessage(spec connect.Spec) (proto.Message, error) {
	md, ok := spec.Schema.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("no schema for %s: cannot read its first message to authorize it", spec.Procedure)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return nil, fmt.Errorf("request type of %s: %w", spec.Procedure, err)
	}
	return mt.New().Interface(), nil
}

// firstMessageConn replays the message the interceptor read (or the error
// reading it ended with) on the handler's first Receive.
type firstMessageConn struct {
	connect.StreamingHandlerConn
	first    proto.Message
	err      error
	replayed bool
}

func (c *firstMessageConn) Receive(m any) error {
	if c.replayed {
		return c.StreamingHandlerConn.Receive(m)
	}
	c.replayed = true
	if c.err != nil {
		return c.err
	}
	dst, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("receive into %T: not a protobuf message", m)
	}
	if dst.ProtoReflect().Descriptor() != c.first.ProtoReflect().Descriptor() {
		return fmt.Errorf("receive into %T: the request is a %T", m, c.first)
	}
	proto.Reset(dst)
	proto.Merge(dst, c.first)
	return nil
}
