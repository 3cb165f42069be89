package spec

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML node tree, resolving aliases and merge keys
// itself so that it can charge every node it visits against MaxNodes and
// MaxExpandedBytes: the tree may share subtrees (and even contain cycles,
// "&a {<<: *a}"), so its expanded size is not bounded by the file's.
type decoder struct {
	errs  collector
	nodes int
	bytes int
	over  bool // a budget ran out: stop walking, the error is recorded
}

// maxMergeDepth bounds merge keys inside merged mappings. Real files nest
// one or two levels; the bound keeps the recursion shallow on hostile ones.
const maxMergeDepth = 16

// maxListDepth bounds lists inside lists (spliced in, see list).
const maxListDepth = 4

// entry is one key of a mapping.
type entry struct {
	key, val *yaml.Node
	name     string
}

// deref resolves an alias and charges the node against the budget.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	// An alias always points at an anchored non-alias node; the bound only
	// guards against a malformed tree.
	for i := 0; i < 4 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	if d.over {
		return n
	}
	d.nodes++
	if n.Kind == yaml.ScalarNode {
		d.bytes += len(n.Value)
	}
	if d.nodes > MaxNodes || d.bytes > MaxExpandedBytes {
		d.over = true
		d.errs.add(n.Line, n.Column, "the file expands to more than %d YAML nodes or %d MiB of text once aliases and merge keys are resolved; repeat less through aliases", MaxNodes, MaxExpandedBytes>>20)
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge"
}

// describe names what a node is, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "empty"
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true/false"
		default:
			return "a value tagged " + n.ShortTag()
		}
	}
	return "something else"
}

// textTags are the scalar tags read as text: YAML would make `1.10` a float
// and `on` a bool, but the node keeps the text as written, which is what a
// command, a variable or a name means.
func textTag(n *yaml.Node) bool {
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
		return true
	}
	return false
}

// mapping returns the entries of the mapping n (already dereferenced) in
// file order with merge keys ("<<: *anchor") expanded: keys written in the
// mapping win over merged ones, and among merged mappings the earlier wins,
// as YAML's merge key type specifies. A key merged at "<<" takes that place
// in the order. Duplicate written keys are reported.
func (d *decoder) mapping(n *yaml.Node, ctx string, depth int) []entry {
	return d.mappingNoun(n, ctx, "key", depth)
}

// mappingNoun is mapping with the noun duplicate keys are reported as
// ("job" under jobs:).
func (d *decoder) mappingNoun(n *yaml.Node, ctx, noun string, depth int) []entry {
	if depth > maxMergeDepth {
		d.errs.add(n.Line, n.Column, "%smerge keys (<<) nest more than %d deep", prefix(ctx), maxMergeDepth)
		return nil
	}
	keys := make([]*yaml.Node, 0, len(n.Content)/2)
	names := make([]string, 0, len(n.Content)/2)
	written := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.deref(n.Content[i])
		if d.over {
			return nil
		}
		name := ""
		switch {
		case isMerge(k):
		case k.Kind != yaml.ScalarNode || isNull(k) || !textTag(k):
			d.errs.add(k.Line, k.Column, "%skeys must be strings, not %s", prefix(ctx), describe(k))
			k = nil
		default:
			name = k.Value
			if first, dup := written[name]; dup {
				d.errs.add(k.Line, k.Column, "%sduplicate %s %s (first defined at line %d)", prefix(ctx), noun, quote(name), first.Line)
				k = nil
			} else {
				written[name] = k
			}
		}
		keys = append(keys, k)
		names = append(names, name)
	}
	out := make([]entry, 0, len(keys))
	merged := map[string]bool{}
	for i, k := range keys {
		if k == nil {
			continue
		}
		if !isMerge(k) {
			out = append(out, entry{key: k, val: n.Content[2*i+1], name: names[i]})
			continue
		}
		for _, src := range d.mergeSources(n.Content[2*i+1], ctx) {
			for _, e := range d.mappingNoun(src, ctx, noun, depth+1) {
				if written[e.name] != nil || merged[e.name] {
					continue
				}
				merged[e.name] = true
				out = append(out, e)
			}
			if d.over {
				return nil
			}
		}
	}
	return out
}

// mergeSources returns the mappings a merge key's value names: a mapping or
// a list of mappings (usually aliases).
func (d *decoder) mergeSources(v *yaml.Node, ctx string) []*yaml.Node {
	v = d.deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(v.Content))
		for _, item := range v.Content {
			item = d.deref(item)
			if item.Kind != yaml.MappingNode {
				d.errs.add(item.Line, item.Column, "%sa merge key (<<) takes a mapping or a list of mappings, not a list holding %s", prefix(ctx), describe(item))
				continue
			}
			out = append(out, item)
		}
		return out
	}
	d.errs.add(v.Line, v.Column, "%sa merge key (<<) takes a mapping or a list of mappings, not %s", prefix(ctx), describe(v))
	return nil
}

// mappingOf checks that v is a mapping (empty counts as one with no keys)
// and returns its entries.
func (d *decoder) mappingOf(v *yaml.Node, ctx, field string) ([]entry, bool) {
	return d.mappingOfNoun(v, ctx, field, "key")
}

func (d *decoder) mappingOfNoun(v *yaml.Node, ctx, field, noun string) ([]entry, bool) {
	v = d.deref(v)
	switch {
	case d.over:
		return nil, false
	case isNull(v):
		return nil, true
	case v.Kind != yaml.MappingNode:
		d.errs.add(v.Line, v.Column, "%s%s must be a mapping, not %s", prefix(ctx), field, describe(v))
		return nil, false
	}
	return d.mappingNoun(v, ctx, noun, 0), true
}

// text reads a scalar as text. what names it in messages.
func (d *decoder) text(v *yaml.Node, ctx, what string) (string, bool) {
	v = d.deref(v)
	switch {
	case d.over:
		return "", false
	case v.Kind != yaml.ScalarNode || isNull(v):
		d.errs.add(v.Line, v.Column, "%s%s must be a string, not %s", prefix(ctx), what, describe(v))
		return "", false
	case !textTag(v):
		d.errs.add(v.Line, v.Column, "%s%s: the tag %s is not supported here", prefix(ctx), what, v.ShortTag())
		return "", false
	case strings.ContainsRune(v.Value, 0):
		d.errs.add(v.Line, v.Column, "%s%s contains a NUL character", prefix(ctx), what)
		return "", false
	}
	return v.Value, true
}

// list returns the items of a list, dereferenced. A single scalar counts as
// a one-item list, and an item that is itself a list (typically an alias to
// a shared list) is spliced in. It stops after limit+1 items, enough for
// the caller to report "more than limit". Empty (null) is no items.
func (d *decoder) list(v *yaml.Node, ctx, field string, limit int) ([]*yaml.Node, bool) {
	v = d.deref(v)
	switch {
	case d.over:
		return nil, false
	case isNull(v):
		return nil, true
	case v.Kind == yaml.ScalarNode:
		return []*yaml.Node{v}, true
	case v.Kind != yaml.SequenceNode:
		d.errs.add(v.Line, v.Column, "%s%s must be a list, not %s", prefix(ctx), field, describe(v))
		return nil, false
	}
	var out []*yaml.Node
	ok := d.splice(v, ctx, field, limit, 0, &out)
	return out, ok
}

func (d *decoder) splice(seq *yaml.Node, ctx, field string, limit, depth int, out *[]*yaml.Node) bool {
	for _, item := range seq.Content {
		if len(*out) > limit {
			return true
		}
		item = d.deref(item)
		if d.over {
			return false
		}
		if item.Kind != yaml.SequenceNode {
			*out = append(*out, item)
			continue
		}
		if depth+1 >= maxListDepth {
			d.errs.add(item.Line, item.Column, "%s%s: lists nest more than %d deep", prefix(ctx), field, maxListDepth)
			return false
		}
		if !d.splice(item, ctx, field, limit, depth+1, out) {
			return false
		}
	}
	return true
}
