import type { Job } from "../../gen/hearth/v1/pipeline_pb";

// latestAttempts keeps each job's newest attempt (GetPipeline lists every
// attempt), in the order the jobs first appear.
export function latestAttempts(jobs: Job[]): Job[] {
  const byName = new Map<string, Job>();
  for (const j of jobs) {
    const prev = byName.get(j.name);
    if (!prev || j.attempt > prev.attempt) {
      byName.set(j.name, j);
    }
  }
  return [...byName.values()];
}

export interface JobGraphLayout {
  // Jobs by column: a job's column is one more than the deepest job it
  // needs (jobs that need nothing come first).
  columns: Job[][];
  // needs edges by job name: from the needed job to the one needing it.
  edges: { from: string; to: string }[];
}

// layoutJobs places the jobs (one attempt each) in columns by dependency
// depth, ordering each column near the jobs it needs. Unknown needs are
// ignored, and a cycle (which .hearth.yml validation refuses) cannot loop.
export function layoutJobs(jobs: Job[]): JobGraphLayout {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (j: Job): number => {
    const known = depth.get(j.name);
    if (known !== undefined) {
      return known;
    }
    if (visiting.has(j.name)) {
      return 0;
    }
    visiting.add(j.name);
    let d = 0;
    for (const n of j.needs) {
      const dep = byName.get(n);
      if (dep && dep !== j) {
        d = Math.max(d, depthOf(dep) + 1);
      }
    }
    visiting.delete(j.name);
    depth.set(j.name, d);
    return d;
  };
  const columns: Job[][] = [];
  for (const j of jobs) {
    const d = depthOf(j);
    while (columns.length <= d) {
      columns.push([]);
    }
    columns[d].push(j);
  }
  // Order each column by the mean row of what its jobs need (fewer
  // crossing edges), keeping the file's order otherwise.
  const row = new Map<string, number>();
  columns.forEach((col, c) => {
    if (c > 0) {
      const key = (j: Job) => {
        const rows = j.needs.map((n) => row.get(n)).filter((r): r is number => r !== undefined);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
      };
      const order = new Map(col.map((j, i) => [j.name, i]));
      col.sort((a, b) => key(a) - key(b) || order.get(a.name)! - order.get(b.name)!);
    }
    col.forEach((j, r) => row.set(j.name, r));
  });
  const edges = jobs.flatMap((j) => j.needs.filter((n) => byName.has(n) && n !== j.name).map((n) => ({ from: n, to: j.name })));
  return { columns, edges };
}
