package spec

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SecretRef is one secret a job asks for (`secrets:`), delivered to its
// steps as an environment variable (Env) or as a file in
// $HEARTH_SECRETS_DIR (File). A plain name asks for the variable of the
// same name.
type SecretRef struct {
	Name string `json:"name"`
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"`
}

// MaxSecrets bounds the secrets of one job.
const MaxSecrets = 100

var (
	secretKeys      = []string{"name", "env", "file"}
	validSecretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	// validSecretFile is a plain file name (the agent's rule for RunJob.files).
	validSecretFile = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
)

// secrets decodes `secrets:`: a list whose items are a secret's name or
// a mapping {name, env | file}.
func (d *decoder) secrets(f entry, ctx string, env map[string]string) []SecretRef {
	items, ok := d.list(f.val, ctx, `"secrets"`, MaxSecrets)
	if !ok {
		return nil
	}
	if len(items) > MaxSecrets {
		d.errs.add(f.key.Line, f.key.Column, "%s\"secrets\" lists more than %d secrets", prefix(ctx), MaxSecrets)
		return nil
	}
	sub := ctx + " secrets"
	targets := map[string]bool{}
	var out []SecretRef
	for _, item := range items {
		ref, at, ok := d.secretRef(item, sub)
		if !ok {
			continue
		}
		target := "env " + ref.Env
		if ref.File != "" {
			target = "file " + ref.File
		}
		switch {
		case targets[target]:
			d.errs.add(at.Line, at.Column, "%s%s receives two secrets", prefix(sub), target)
			continue
		case ref.Env != "" && hasKey(env, ref.Env):
			d.errs.add(at.Line, at.Column, "%senv %s is also set in \"env\"; a variable comes from one place", prefix(sub), ref.Env)
			continue
		}
		targets[target] = true
		out = append(out, ref)
	}
	return out
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// secretRef decodes one item; at is where to report problems with it.
func (d *decoder) secretRef(item *yaml.Node, ctx string) (SecretRef, *yaml.Node, bool) {
	var ref SecretRef
	if item.Kind == yaml.ScalarNode {
		name, ok := d.text(item, ctx, "a secret name")
		if !ok {
			return ref, item, false
		}
		ref = SecretRef{Name: name, Env: name}
	} else {
		entries, ok := d.mappingOf(item, ctx, "a secret")
		if !ok {
			return ref, item, false
		}
		for _, e := range entries {
			s, ok := d.text(e.val, ctx, quote(e.name))
			if !ok {
				continue
			}
			switch e.name {
			case "name":
				ref.Name = s
			case "env":
				ref.Env = s
			case "file":
				ref.File = s
			default:
				d.unknownKey(e, ctx, secretKeys)
			}
		}
		switch {
		case ref.Name == "":
			d.errs.add(item.Line, item.Column, "%sa secret needs a \"name\"", prefix(ctx))
			return ref, item, false
		case ref.Env != "" && ref.File != "":
			d.errs.add(item.Line, item.Column, "%ssecret %s: give \"env\" or \"file\", not both", prefix(ctx), quote(ref.Name))
			return ref, item, false
		case ref.Env == "" && ref.File == "":
			ref.Env = ref.Name
		}
	}
	switch {
	case !validSecretName.MatchString(ref.Name):
		d.errs.add(item.Line, item.Column, "%ssecret name %s: use letters, digits and '_', not starting with a digit, at most 128", prefix(ctx), quote(ref.Name))
	case ref.Env != "" && !validEnvName.MatchString(ref.Env):
		d.errs.add(item.Line, item.Column, "%senv name %s: use letters, digits and '_', not starting with a digit", prefix(ctx), quote(ref.Env))
	case ref.Env != "" && bashReadonly[ref.Env]:
		d.errs.add(item.Line, item.Column, "%senv name %s is read-only in bash", prefix(ctx), quote(ref.Env))
	case strings.HasPrefix(strings.ToUpper(ref.Env), "HEARTH_"), strings.HasPrefix(strings.ToLower(ref.Env), "__hearth_"):
		d.errs.add(item.Line, item.Column, "%senv name %s: names starting with HEARTH_ or __hearth_ are reserved for Hearth's own variables", prefix(ctx), quote(ref.Env))
	case ref.File != "" && !validSecretFile.MatchString(ref.File):
		d.errs.add(item.Line, item.Column, "%sfile name %s: a plain file name of letters, digits, '.', '_' and '-', at most 128", prefix(ctx), quote(ref.File))
	default:
		return ref, item, true
	}
	return ref, item, false
}
