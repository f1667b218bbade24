package fuzz

import (
	"fmt"
	"slices"

	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
)

// Shrink minimises k while still(k) holds (for fuzz: the backend and the
// predictor still differ the same way):
// it drops whole objects (with their creationOrder entries), then every
// list element and map key of the header and of each object, a node
// before its children, keeping each drop that leaves the divergence, until
// a pass drops nothing or runs checks are spent. A drop that makes the case
// invalid or refused by Istio is not kept. The kind, apiVersion and name of
// an object are never dropped.
func Shrink(k *scenariogen.Case, still func(*scenariogen.Case) bool, runs int) *scenariogen.Case {
	cur := k.Clone()
	spent := 0
	try := func(c *scenariogen.Case) bool {
		if spent >= runs {
			return false
		}
		spent++
		return still(c)
	}
	for changed := true; changed && spent < runs; {
		changed = false
		for i := len(cur.Objects) - 1; i >= 0; i-- {
			c := dropObject(cur, i)
			if try(c) {
				cur, changed = c, true
			}
		}
		// The header's fields, then each object's.
		for doc := -1; doc < len(cur.Objects); doc++ {
			for pos := 0; ; pos++ {
				paths := nodes(root(cur, doc), nil)
				if pos >= len(paths) {
					break
				}
				if protected(doc, paths[pos]) {
					continue
				}
				c := cur.Clone()
				if !drop(root(c, doc), paths[pos]) {
					continue
				}
				if try(c) {
					cur, changed = c, true
					pos-- // the node that followed the dropped subtree now sits here
				}
			}
		}
	}
	return cur
}

// root is the header (doc -1) or object doc of c.
func root(c *scenariogen.Case, doc int) map[string]any {
	if doc < 0 {
		return c.Header
	}
	return c.Objects[doc]
}

// dropObject is c without object i and the creationOrder entries naming it.
func dropObject(c *scenariogen.Case, i int) *scenariogen.Case {
	out := c.Clone()
	o := out.Objects[i]
	meta, _ := o["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	ref := fmt.Sprintf("%s/%s/%s", o["kind"], ns, meta["name"])
	out.Objects = slices.Delete(out.Objects, i, i+1)
	if order, ok := out.Header["creationOrder"].([]any); ok {
		order = slices.DeleteFunc(order, func(x any) bool { return x == ref })
		if len(order) == 0 {
			delete(out.Header, "creationOrder")
		} else {
			out.Header["creationOrder"] = order
		}
	}
	return out
}

// path is a way into a tree: map keys (string) and list indexes (int).
type path []any

// nodes lists every node under t in pre-order, as paths from t.
func nodes(t any, at path) []path {
	var out []path
	switch v := t.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := append(slices.Clone(at), k)
			out = append(out, p)
			out = append(out, nodes(v[k], p)...)
		}
	case []any:
		for i, x := range v {
			p := append(slices.Clone(at), i)
			out = append(out, p)
			out = append(out, nodes(x, p)...)
		}
	}
	return out
}

// protected are the nodes an object cannot lose: apiVersion, kind,
// metadata and its name.
func protected(doc int, p path) bool {
	if doc < 0 {
		return false
	}
	switch {
	case len(p) == 1:
		return p[0] == "apiVersion" || p[0] == "kind" || p[0] == "metadata"
	case len(p) == 2 && p[0] == "metadata":
		return p[1] == "name"
	}
	return false
}

// drop removes the node at p from t; false when there is none.
func drop(t map[string]any, p path) bool {
	parent, ok := parentOf(t, p)
	if !ok {
		return false
	}
	last := p[len(p)-1]
	switch v := parent.(type) {
	case map[string]any:
		if _, ok := v[last.(string)]; !ok {
			return false
		}
		delete(v, last.(string))
		return true
	case []any:
		// A list element is dropped by rewriting the list in its parent.
		i := last.(int)
		if i >= len(v) {
			return false
		}
		return setAt(t, p[:len(p)-1], slices.Delete(slices.Clone(v), i, i+1))
	}
	return false
}

// parentOf walks t to the node holding the last step of p; false when p
// is empty or passes through something that is neither map nor list.
func parentOf(t map[string]any, p path) (any, bool) {
	if len(p) == 0 {
		return nil, false
	}
	var parent any = t
	for _, step := range p[:len(p)-1] {
		switch v := parent.(type) {
		case map[string]any:
			parent = v[step.(string)]
		case []any:
			parent = v[step.(int)]
		default:
			return nil, false
		}
	}
	return parent, true
}

// setAt replaces the node at p with x.
func setAt(t map[string]any, p path, x any) bool {
	parent, ok := parentOf(t, p)
	if !ok {
		return false
	}
	switch v := parent.(type) {
	case map[string]any:
		v[p[len(p)-1].(string)] = x
		return true
	case []any:
		v[p[len(p)-1].(int)] = x
		return true
	}
	return false
}
