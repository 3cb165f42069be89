// Package event is the vocabulary of notifications: what happened, to
// which project, caused by whom, and whom it concerns. It is a leaf:
// features that produce events (pipeline, project, later deploy,
// agentsession and observe alerts) import it to describe their events and
// hand them to a Publisher, which the notify feature implements by
// writing an outbox row in the producer's own transaction. No producer
// imports notify.
package event

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Type names what happened. Stored, subscribed to and sent in webhook
// payloads: never renamed.
type Type string

// Types.
const (
	PipelineFailed    Type = "pipeline.failed"
	PipelineSucceeded Type = "pipeline.succeeded"
	// PipelineRecovered: a pipeline succeeded on a ref whose previous
	// finished pipeline had failed.
	PipelineRecovered Type = "pipeline.recovered"

	IssueCreated         Type = "issue.created"
	IssueCommented       Type = "issue.commented"
	IssueClosed          Type = "issue.closed"
	MergeRequestCreated  Type = "merge_request.created"
	MergeRequestComment  Type = "merge_request.commented"
	MergeRequestReviewed Type = "merge_request.reviewed"
	MergeRequestMerged   Type = "merge_request.merged"
	MergeRequestClosed   Type = "merge_request.closed"
	ReviewRequested      Type = "merge_request.review_requested"
	Mentioned            Type = "mentioned"

	// AlertFired and AlertResolved come from observability's alert rules:
	// an alert started firing, or a notified one ended.
	AlertFired    Type = "alert.fired"
	AlertResolved Type = "alert.resolved"
	// SessionNeedsInput comes from AI-agent sessions (later).
	SessionNeedsInput Type = "agent_session.needs_input"
	// WebhookDisabled tells a webhook's owner it was turned off after
	// failing again and again.
	WebhookDisabled Type = "webhook.disabled"
)

// Types lists every type, in documentation order.
func Types() []Type {
	return []Type{
		PipelineFailed, PipelineSucceeded, PipelineRecovered,
		IssueCreated, IssueCommented, IssueClosed,
		MergeRequestCreated, MergeRequestComment, MergeRequestReviewed, MergeRequestMerged, MergeRequestClosed,
		ReviewRequested, Mentioned, AlertFired, AlertResolved, SessionNeedsInput, WebhookDisabled,
	}
}

// Personal reports whether events of type t are for their recipients
// only: watchers and participants hear of the change itself through its
// own event (a comment's issue.commented), not of who it mentions.
func (t Type) Personal() bool { return t == Mentioned || t == WebhookDisabled }

// Known reports whether t is one of Types.
func (t Type) Known() bool {
	for _, k := range Types() {
		if k == t {
			return true
		}
	}
	return false
}

// Event is one thing that happened.
type Event struct {
	// ID is set by the publisher when zero (a UUIDv7).
	ID   uuid.UUID
	Type Type
	// ProjectID is the project it happened in (uuid.Nil: installation),
	// Project its "owner/name" for people.
	ProjectID uuid.UUID
	Project   string
	// ActorID and Actor are who did it (uuid.Nil: the system). The actor
	// is not notified of their own action.
	ActorID uuid.UUID
	Actor   string
	// Subject names what it is about within the project: "#12" (issue),
	// "!3" (merge request), "pipeline #7". Threads are per subject.
	Subject string
	// Title is one line for people: "Pipeline #7 failed on main".
	Title string
	// Path is where to look: relative to the project's page when it does
	// not start with "/" ("-/pipelines/<id>"), else to the installation's
	// URL. Notify completes a relative one, and Project when it is empty,
	// outside the producer's transaction.
	Path string
	// Recipients are users the event is for whatever their subscriptions
	// (the pusher of a failed pipeline, requested reviewers, mentioned
	// users), unless they muted the project or the thread.
	Recipients []uuid.UUID
	// Participants join the subject's thread (an issue's author and
	// commenters): later events of the subject reach them.
	Participants []uuid.UUID
	// Data is the type's payload for webhooks (JSON values only). Never put
	// a secret here.
	Data map[string]any
	At   time.Time
}

// Publisher records an event in the transaction of the change it
// describes, so an event exists exactly when its change does.
type Publisher interface {
	Publish(ctx context.Context, tx pgx.Tx, e Event) error
}

// Discard is a Publisher that drops events (tests of features that do not
// care about them).
type Discard struct{}

// Publish drops e.
func (Discard) Publish(context.Context, pgx.Tx, Event) error { return nil }
