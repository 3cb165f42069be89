// Package kubeagent is what an agent running inside its cluster (the
// hearth-agent chart's Deployment) needs beyond the kubernetes runner:
//
//   - SecretStore keeps the agent's identity (its credential) in a Secret
//     the agent owns, since the pod's data directory does not outlive the
//     pod; the chart creates the Secret empty and the agent's Role may
//     only get and update it.
//   - Lease elects which replica runs jobs: the holder of a
//     coordination.k8s.io Lease runs the session, the others wait, so two
//     replicas never both run the same job. The holder renews it every
//     third of its duration; a holder that cannot renew within two thirds
//     stops, and a standby takes the Lease over once the duration passed
//     without a renewal it observed (its own clock, as client-go's leader
//     election does, so clock skew between nodes does not matter).
package kubeagent
