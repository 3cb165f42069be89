// Package kubernetes is the runner that runs each job as a pod in one
// namespace of a Kubernetes cluster (hearth-agent run --runner
// kubernetes). See package runner for the lifecycle every runner follows;
// this is how this one does it.
//
// # The pod
//
//	pod hearth-job-<job id>        labels: cluster, agent, job, attempt
//	├─ init container "checkout"   helper image: hearth-agent job-init
//	│    stdin ← payload (attach)  clone token + secrets, never in the spec
//	│    writes /hearth/workspace  (go-git), /hearth/run/files and /hearth/run/env
//	├─ container "job"             the job's image: sh -c <generated script>
//	│    exports the secret variables from /hearth/run/env/<NAME>,
//	│    steps in order, markers between them, exit code = the failing step's
//	└─ container "hearth"          helper image: job-sidecar (jobs with artifacts)
//	     exec job-artifacts → tar.gz on stdout to the agent
//	volumes: workspace (emptyDir), hearth-run (emptyDir, medium Memory)
//
// A job's secrets (RunJob.files and RunJob.secret_env) travel only in the
// payload (podjob.Payload) and live only in the memory volume: the pod's
// spec holds the secret variables' names (the script exports each from its
// file, exactly, trailing newlines included) and HEARTH_SECRETS_DIR
// (/hearth/run/files, for jobs with files), never a value; the adoption
// annotation leaves them out.
//
// Start records <dir>/kubernetes/meta.json (pod name, marker nonce, start
// time) and creates the pod. One informer per runner watches the
// namespace's pods carrying this agent's labels; each handle wakes on its
// pod's events, never polls.
//
// When the checkout container runs, the handle attaches to its stdin and
// writes the payload once (<dir>/kubernetes/fed records it). Each
// container that has started gets a follower that copies its log
// (timestamps=true) into the step logs through a demux (demux.go): the
// checkout's into step 0, the job container's split at the markers into
// steps 1..n. A broken log connection is reopened with sinceTime at the
// cursor and what was already written is dropped, so each line is written
// once; the cursor (<dir>/kubernetes/<container>.cursor) survives agent
// restarts.
//
// The job ends when the job container has terminated and both logs are
// complete: exit 0 is SUCCESS (then artifacts are collected through the
// sidecar), anything else FAILURE at the step the markers say was
// running, with the container's exit code. A checkout that fails fails
// step 0. A container waiting for an image that cannot be pulled, a
// config error or an unschedulable pod fails the job at once with the
// reason and the newest Warning event. Cancel and the deadline delete the
// pod with Options.KillGrace. The pod is deleted when the job ends.
//
// Resume follows a job's pod again; a pod that vanished ends the job
// FAILURE runner.MsgLost, as does a checkout that never got its payload
// (its token died with the old agent).
package kubernetes
