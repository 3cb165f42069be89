package server

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// proceduresOf lists the full procedure names of the service served at
// path ("/hearth.v1.UserService/").
func proceduresOf(path string) ([]string, error) {
	name := protoreflect.FullName(path[1 : len(path)-1])
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", name, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", name)
	}
	var out []string
	for i := range sd.Methods().Len() {
		out = append(out, "/"+string(name)+"/"+string(sd.Methods().Get(i).Name()))
	}
	return out, nil
}

// checkDeclared fails for any served procedure without a rule, any rule
// naming a procedure nobody serves (a typo that would guard nothing), any
// rule of an impossible shape, and any rule declaring a read permission for
// an RPC its proto does not mark NO_SIDE_EFFECTS: a read-only token would
// reach a mutation.
func checkDeclared(served []string, rules access.Rules) error {
	for _, p := range served {
		rule, ok := rules[p]
		if !ok {
			return fmt.Errorf("RPC %s has no authorization rule: declare one in its feature's api.go", p)
		}
		if err := checkRule(p, rule); err != nil {
			return err
		}
	}
	for p := range rules {
		if !slices.Contains(served, p) {
			return fmt.Errorf("authorization rule for %s, which is not served", p)
		}
	}
	return nil
}

// checkRule fails for a rule whose fields contradict each other or the
// RPC's proto.
func checkRule(procedure string, rule access.Rule) error {
	declares := rule.Permission != 0 || rule.Project != nil || rule.Group != nil || rule.Also != nil
	switch {
	case rule.Public && (rule.Authenticated || declares):
		return fmt.Errorf("authorization rule for %s is Public and declares more: Public checks nothing", procedure)
	case rule.Authenticated && (rule.Permission != 0 || rule.Project != nil || rule.Group != nil):
		return fmt.Errorf("authorization rule for %s is Authenticated and declares a permission", procedure)
	case !rule.Public && !rule.Authenticated && rule.Permission == 0:
		return fmt.Errorf("authorization rule for %s declares no permission", procedure)
	case rule.Project != nil && rule.Group != nil:
		return fmt.Errorf("authorization rule for %s sets both Project and Group", procedure)
	}
	if access.ReadPermissions().Has(rule.Permission) && !sideEffectFree(procedure) {
		return fmt.Errorf("RPC %s changes something (no NO_SIDE_EFFECTS in its proto) but its rule asks only %s: a read-only token would reach it", procedure, rule.Permission)
	}
	return nil
}

// sideEffectFree reports whether the RPC's proto marks it
// idempotency_level = NO_SIDE_EFFECTS.
func sideEffectFree(procedure string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if !ok {
		return false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return false
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return false
	}
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	return ok && opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
}
