package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/internal/db"
)

// Notification is one in-app notification.
type Notification struct {
	ID, EventID, ProjectID uuid.UUID
	Type, Title, Path      string
	Subject, Actor, Reason string
	CreatedAt              time.Time
	ReadAt                 *time.Time
	// Count is the events it stands for (a burst on its thread).
	Count int32
}

// Page sizes of List.
const (
	defaultPage = 50
	maxPage     = 200
)

func notificationFrom(r db.Notification) Notification {
	return Notification{
		ID: r.ID, EventID: r.EventID, ProjectID: deref(r.ProjectID), Type: r.Type, Title: r.Title, Path: r.Path,
		Subject: r.Subject, Actor: r.ActorName, Reason: r.Reason, CreatedAt: r.CreatedAt, ReadAt: r.ReadAt, Count: r.Count,
	}
}

// List pages through user's notifications, newest first; next is the
// token of the following page ("" on the last).
func (s *Service) List(ctx context.Context, user uuid.UUID, unreadOnly bool, limit int, pageToken string) (list []Notification, next string, err error) {
	if limit <= 0 {
		limit = defaultPage
	}
	limit = min(limit, maxPage)
	var before *uuid.UUID
	if pageToken != "" {
		id, err := decodeToken(pageToken)
		if err != nil {
			return nil, "", apperr.Invalid("page_token is not one this server issued")
		}
		before = &id
	}
	rows, err := s.q.ListNotifications(ctx, db.ListNotificationsParams{UserID: user, UnreadOnly: unreadOnly, Before: before, MaxRows: int32(limit) + 1})
	if err != nil {
		return nil, "", err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeToken(rows[limit-1].ID)
	}
	list = make([]Notification, len(rows))
	for i, r := range rows {
		list[i] = notificationFrom(r)
	}
	return list, next, nil
}

// since returns user's notifications newer than after, oldest first.
func (s *Service) since(ctx context.Context, user, after uuid.UUID) ([]Notification, error) {
	rows, err := s.q.ListNotifications(ctx, db.ListNotificationsParams{UserID: user, After: &after, MaxRows: maxPage})
	if err != nil {
		return nil, err
	}
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = notificationFrom(r)
	}
	return out, nil
}

func decodeToken(s string) (uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return uuid.Nil, err
	}
	return uuid.FromBytes(b)
}

// Unread counts user's unread notifications.
func (s *Service) Unread(ctx context.Context, user uuid.UUID) (int64, error) {
	return s.q.UnreadCount(ctx, user)
}

// MarkRead marks ids (none: all) of user's notifications read; ids of
// another user's notifications are ignored.
func (s *Service) MarkRead(ctx context.Context, user uuid.UUID, ids []uuid.UUID) (int64, error) {
	if len(ids) > maxPage {
		return 0, apperr.Invalid("at most %d ids at once", maxPage)
	}
	if ids == nil {
		ids = []uuid.UUID{}
	}
	n, err := s.q.MarkRead(ctx, db.MarkReadParams{UserID: user, Ids: ids})
	if err == nil && n > 0 {
		s.announce(ctx, []uuid.UUID{user})
	}
	return n, err
}

// Watch calls send with the unread count, then with every new
// notification of user (and the count after it), until ctx ends. It is
// woken through the pub/sub and looks again at least every pollEvery, so a
// lost message only delays.
func (s *Service) Watch(ctx context.Context, user uuid.UUID, send func(n *Notification, unread int64) error) error {
	var wake <-chan []byte
	if s.d.PubSub != nil {
		ch, err := s.d.PubSub.Subscribe(ctx, userChannel(user))
		if err == nil {
			wake = ch
		} else {
			s.log.Debug().Err(err).Msg("notification stream polls: no pub/sub")
		}
	}
	last, err := uuid.NewV7() // only what arrives from now on
	if err != nil {
		return err
	}
	unread, err := s.Unread(ctx, user)
	if err != nil {
		return err
	}
	if err := send(nil, unread); err != nil {
		return err
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-wake:
			if !ok {
				wake = nil // the subscription ended: poll
			}
		case <-tick.C:
		}
		news, err := s.since(ctx, user, last)
		if err != nil {
			return err
		}
		count, err := s.Unread(ctx, user)
		if err != nil {
			return err
		}
		for i := range news {
			if err := send(&news[i], count); err != nil {
				return err
			}
			last = news[i].ID
		}
		if len(news) == 0 && count != unread {
			if err := send(nil, count); err != nil {
				return err
			}
		}
		unread = count
	}
}

// pollEvery is how often a live stream looks without being woken.
const pollEvery = 5 * time.Second

// Levels a user may set.
var levels = map[string]bool{levelWatch: true, levelParticipate: true, levelMute: true}

// Subscribe sets user's level on project (subject "": the whole project);
// level "" removes it (back to the default, participate).
func (s *Service) Subscribe(ctx context.Context, user, project uuid.UUID, subject, level string) error {
	if len(subject) > 200 {
		return apperr.Invalid("subject is at most 200 characters")
	}
	if level == "" {
		return s.q.DeleteSubscription(ctx, db.DeleteSubscriptionParams{UserID: user, ProjectID: project, Subject: subject})
	}
	if !levels[level] {
		return apperr.Invalid("level %q: want watch, participate, mute or empty", level)
	}
	return s.q.SetSubscription(ctx, db.SetSubscriptionParams{UserID: user, ProjectID: project, Subject: subject, Level: level})
}

// Subscription is one level a user set.
type Subscription struct {
	ProjectID uuid.UUID
	Subject   string
	Level     string
	UpdatedAt time.Time
}

// Subscriptions lists the levels p set on projects p may still read.
func (s *Service) Subscriptions(ctx context.Context, p access.Principal) ([]Subscription, error) {
	rows, err := s.q.ListSubscriptions(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]Subscription, 0, len(rows))
	for _, r := range rows {
		if err := s.d.Authz.Authorize(ctx, p, access.ProjectRead, r.ProjectID); err != nil {
			if apperr.KindOf(err) == apperr.KindInternal {
				return nil, err
			}
			continue // no longer readable: not even its id is shown
		}
		out = append(out, Subscription{ProjectID: r.ProjectID, Subject: r.Subject, Level: r.Level, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

var errNoUser = errors.New("notify: no signed-in user")
