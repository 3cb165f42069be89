// Package identity keeps the node agent's identity: the agent id, cluster id
// and credential the control plane issued at registration, stored in
// <data-dir>/identity.json (mode 0600, written atomically).
//
// Register turns a join token into an identity (RegistrationService.Register),
// retrying only where the protocol says a retry is safe: UNAVAILABLE,
// DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED (which is also what connect reports
// for a transport error), with jittered exponential backoff. Everything else
// is final: a Register is not idempotent.
//
// A Holder serves the current credential to every call (Credential) and
// rotates it (Rotate): the new credential is written to disk first, and only
// then used. A Rotate whose response was lost is retried with the credential
// still held, which the control plane keeps valid for an overlap. Rotator.Run
// rotates periodically. UNAUTHENTICATED from RotateCredential means the agent
// was revoked (or its credential expired): Run returns an error wrapping
// ErrUnauthenticated and the agent stops instead of looping.
package identity
