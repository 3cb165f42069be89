// Package cluster owns clusters, the join tokens that admit node agents
// into them, the registered agents and their credentials.
//
// Secrets: a join token is "hjt_" and a credential "hac_", each followed by
// 32 random bytes in base64url; only their SHA-256 is stored, and lookups go
// through the hash's unique index, so no secret is ever compared in Go.
//
// Register consumes one use of a join token and creates the agent and its
// first credential in one transaction. RotateCredential keeps the presented
// credential valid for an overlap (Deps.CredentialOverlap) so two are valid
// meanwhile; revoking an agent refuses all its credentials at once.
// AuthenticateAgent is what the agent gateway calls for every request.
//
// Later: the agent gateway (stream), last-seen updates and routing to the
// replica holding an agent's stream.
package cluster
