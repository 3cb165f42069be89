package spec

import (
	"strings"
)

// checkNeeds reports needs that name no job, a job itself or form a cycle,
// and keeps only valid needs for the cycle search so each problem is
// reported once.
func (d *decoder) checkNeeds(jobs []*parsedJob) {
	index := make(map[string]int, len(jobs))
	names := make([]string, len(jobs))
	for i, j := range jobs {
		index[j.Name] = i
		names[i] = j.Name
	}
	edges := make([][]int, len(jobs))
	for i, j := range jobs {
		ctx := "job " + quote(j.Name)
		for _, n := range j.needs {
			target, ok := index[n.Value]
			switch {
			case n.Value == j.Name:
				d.errs.add(n.Line, n.Column, "%s needs itself", ctx)
			case !ok:
				d.errs.add(n.Line, n.Column, "%s needs %s, which is not a job in this file%s", ctx, quote(n.Value), suggest(n.Value, names))
			default:
				edges[i] = append(edges[i], target)
			}
		}
	}
	for _, scc := range components(edges) {
		if len(scc) < 2 {
			continue
		}
		path := cycleFrom(scc, edges)
		parts := make([]string, len(path))
		for k, i := range path {
			parts[k] = jobs[i].Name
		}
		first := jobs[path[0]]
		d.errs.add(first.key.Line, first.key.Column, "job %s: needs form a cycle: %s", quote(first.Name), strings.Join(parts, " → "))
	}
}

// components returns the strongly connected components of the graph
// (Tarjan's algorithm, iterative so a long chain of needs cannot exhaust
// the stack).
func components(edges [][]int) [][]int {
	n := len(edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var (
		stack []int
		out   [][]int
		next  int
	)
	type frame struct{ v, edge int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{v: root}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.edge < len(edges[f.v]) {
				w := edges[f.v][f.edge]
				f.edge++
				switch {
				case index[w] < 0:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				case onStack[w]:
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				parent := call[len(call)-1].v
				low[parent] = min(low[parent], low[v])
			}
			if low[v] == index[v] {
				var scc []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					scc = append(scc, w)
					if w == v {
						break
					}
				}
				out = append(out, scc)
			}
		}
	}
	return out
}

// cycleFrom returns a shortest cycle through the component's first job in
// file order, as job indexes starting and ending with it, following needs
// in the order they are written.
func cycleFrom(scc []int, edges [][]int) []int {
	in := make(map[int]bool, len(scc))
	start := scc[0]
	for _, v := range scc {
		in[v] = true
		start = min(start, v)
	}
	prev := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range edges[v] {
			if !in[w] {
				continue
			}
			if w == start {
				path := []int{start}
				for u := v; u != start; u = prev[u] {
					path = append(path, u)
				}
				// path is start, v, ..., reversed after start; put it in order.
				rest := path[1:]
				for i, j := 0, len(rest)-1; i < j; i, j = i+1, j-1 {
					rest[i], rest[j] = rest[j], rest[i]
				}
				return append(path, start)
			}
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start, start} // unreachable for a component of two or more
}

// TopoOrder returns the jobs so that every job comes after the jobs it
// needs, otherwise in file order. For a Pipeline from Parse that is every
// job; jobs of a hand-built pipeline on a cycle or needing a missing job
// are left out.
func (p *Pipeline) TopoOrder() []Job {
	index := make(map[string]int, len(p.Jobs))
	for i, j := range p.Jobs {
		index[j.Name] = i
	}
	waiting := make([]int, len(p.Jobs))      // unmet needs per job
	dependants := make([][]int, len(p.Jobs)) // who needs job i
	for i, j := range p.Jobs {
		for _, n := range j.Needs {
			t, ok := index[n]
			if !ok {
				waiting[i] = -1 << 30 // never ready
				continue
			}
			waiting[i]++
			dependants[t] = append(dependants[t], i)
		}
	}
	done := make([]bool, len(p.Jobs))
	out := make([]Job, 0, len(p.Jobs))
	for {
		// The earliest ready job in file order keeps the result stable and
		// close to what the author wrote. O(n²) over at most MaxJobs jobs.
		next := -1
		for i := range p.Jobs {
			if !done[i] && waiting[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			return out
		}
		done[next] = true
		out = append(out, p.Jobs[next])
		for _, d := range dependants[next] {
			waiting[d]--
		}
	}
}

// Select returns the jobs an event runs, in file order: those whose when
// matches the event and whose needed jobs are all selected too. A job whose
// needed job does not run does not run either, since it would wait forever
// for it (or run without the files it was meant to produce).
func (p *Pipeline) Select(ev Event) []Job {
	selected := make(map[string]bool, len(p.Jobs))
	for _, j := range p.TopoOrder() {
		ok := j.Matches(ev)
		for _, n := range j.Needs {
			ok = ok && selected[n]
		}
		selected[j.Name] = ok
	}
	var out []Job
	for _, j := range p.Jobs {
		if selected[j.Name] {
			out = append(out, j)
		}
	}
	return out
}
