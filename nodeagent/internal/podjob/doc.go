// Package podjob holds the commands hearth-agent runs inside a job's pod
// for the kubernetes runner (package runner/kubernetes), so job images
// need neither git nor anything of Hearth's:
//
//   - job-init, the checkout init container: reads its payload (the clone
//     token and the job's secrets, Payload) as one JSON line from stdin,
//     which the agent writes through an attach, writes the secret files
//     (<run-dir>/files/<name>) and the secret variables, one file each
//     (<run-dir>/env/<NAME>), into the in-memory run directory, 0400, and
//     checks the commit out into the workspace with go-git. The token
//     lives only in this process.
//   - job-sidecar: idles beside the job container (jobs with artifacts)
//     until the pod is deleted, so the agent can exec job-artifacts.
//   - job-artifacts: archives the workspace's matches of the patterns as
//     a tar.gz on stdout (runner.WriteArtifacts), warnings on stderr.
package podjob
