// Package jobs holds the job queue's vocabulary shared by the pipeline
// feature (which owns the queue) and the cluster's agent gateway (which
// talks to node agents): the agent asking for work, the jobs it is sent to
// run or stop, and what it reports back. It is a leaf, so that cluster
// never imports pipeline; only the gateway converts these to and from
// hearth.agent.v1 messages.
package jobs
