package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func TestEnsureInitialAdminCreatesOneAdminOnce(t *testing.T) {
	e := newEnv(t)
	dirs := make([]string, 6)
	created := make([]bool, len(dirs))
	var wg sync.WaitGroup
	for i := range dirs {
		dirs[i] = t.TempDir()
		wg.Go(func() {
			var err error
			created[i], err = e.svc.EnsureInitialAdmin(t.Context(), dirs[i], "")
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	winners := 0
	for i, dir := range dirs {
		path := filepath.Join(dir, InitialAdminPasswordFile)
		st, err := os.Stat(path)
		if created[i] {
			winners++
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("password file of the creator: %v %v", st, err)
			}
			password, _ := os.ReadFile(path)
			var hash string
			if err := e.db.Pool.QueryRow(t.Context(), `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if ok, err := VerifyPassword(strings.TrimSpace(string(password)), hash); err != nil || !ok {
				t.Fatalf("the file's password does not match the stored hash: %v", err)
			}
		} else if err == nil {
			t.Errorf("replica %d wrote a password file without creating the admin", i)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, InitialAdminPasswordFile+".*"))
		if len(leftovers) > 0 {
			t.Errorf("temporary files left behind: %v", leftovers)
		}
	}
	if winners != 1 {
		t.Fatalf("%d callers created the admin, want 1", winners)
	}
	var users int
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("%d users: %v", users, err)
	}
	e.roles.mu.Lock()
	admins := len(e.roles.admins)
	e.roles.mu.Unlock()
	if admins != 1 {
		t.Fatalf("%d admin role bindings, want 1", admins)
	}
	var must bool
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT must_change_password FROM users`).Scan(&must); err != nil || !must {
		t.Fatalf("a generated password must be changed at first sign-in: %v %v", must, err)
	}
	again, err := e.svc.EnsureInitialAdmin(t.Context(), t.TempDir(), "")
	if err != nil || again {
		t.Fatalf("a later start created another admin: %v %v", again, err)
	}
}

func TestEnsureInitialAdminWithGivenPassword(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	if _, err := e.svc.EnsureInitialAdmin(t.Context(), dir, "short"); err == nil {
		t.Fatal("a too short configured password was accepted")
	}
	created, err := e.svc.EnsureInitialAdmin(t.Context(), dir, "configured password 1")
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written with a configured password: %v", entries)
	}
	s, err := e.svc.Login(t.Context(), "ADMIN", "configured password 1", clientA)
	if err != nil {
		t.Fatal(err)
	}
	if s.User.MustChangePassword {
		t.Error("a configured password should not need changing")
	}
	if ok, _ := e.roles.IsAdmin(t.Context(), s.User.ID); !ok {
		t.Error("the initial admin does not hold the admin role")
	}
}

func TestUserCRUDAndCaseInsensitiveUniqueness(t *testing.T) {
	e := newEnv(t)
	ctx, root := e.adminCtx(t)
	if ok, _ := e.roles.IsAdmin(ctx, root.ID); !ok {
		t.Fatal("Admin: true did not bind the admin role")
	}

	alice, err := e.svc.CreateUser(ctx, NewUser{Username: "Alice", Email: "Alice@Example.com", DisplayName: " Alice A. ", Password: "twelve chars"})
	if err != nil {
		t.Fatal(err)
	}
	if alice.DisplayName != "Alice A." || !alice.Active() {
		t.Fatalf("unexpected user %+v", alice)
	}
	_, err = e.svc.CreateUser(ctx, NewUser{Username: "alice", Email: "other@example.com", Password: "twelve chars"})
	wantKind(t, err, apperr.KindConflict)
	if !strings.Contains(err.Error(), "username") {
		t.Errorf("conflict message does not name the username: %v", err)
	}
	_, err = e.svc.CreateUser(ctx, NewUser{Username: "alice2", Email: "ALICE@example.COM", Password: "twelve chars"})
	wantKind(t, err, apperr.KindConflict)
	if !strings.Contains(err.Error(), "email") {
		t.Errorf("conflict message does not name the email: %v", err)
	}

	for name, in := range map[string]NewUser{
		"huge username":     {Username: strings.Repeat("a", 10000), Email: "a@example.com", Password: "twelve chars"},
		"sql username":      {Username: "x'; DROP TABLE users; --", Email: "a@example.com", Password: "twelve chars"},
		"leading dot":       {Username: ".bob", Email: "a@example.com", Password: "twelve chars"},
		"40 chars":          {Username: strings.Repeat("b", 40), Email: "a@example.com", Password: "twelve chars"},
		"no at":             {Username: "bob", Email: "bob.example.com", Password: "twelve chars"},
		"named address":     {Username: "bob", Email: "Bob <bob@example.com>", Password: "twelve chars"},
		"short password":    {Username: "bob", Email: "bob@example.com", Password: "eleven char"},
		"huge password":     {Username: "bob", Email: "bob@example.com", Password: strings.Repeat("p", 2000)},
		"control in name":   {Username: "bob", Email: "bob@example.com", Password: "twelve chars", DisplayName: "a\x00b"},
		"huge display name": {Username: "bob", Email: "bob@example.com", Password: "twelve chars", DisplayName: strings.Repeat("d", 201)},
	} {
		_, err := e.svc.CreateUser(ctx, in)
		if kindOf(err) != apperr.KindInvalid {
			t.Errorf("%s: got %v, want Invalid", name, err)
		}
	}

	got, err := e.svc.GetUser(ctx, alice.ID)
	if err != nil || got.Username != "Alice" {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = e.svc.GetUser(ctx, [16]byte{1})
	wantKind(t, err, apperr.KindNotFound)

	for _, n := range []string{"carol", "bob", "dave", "erin"} {
		e.mustCreate(t, ctx, n, "twelve chars", false)
	}
	var names []string
	token := ""
	for {
		page, next, err := e.svc.ListUsers(ctx, ListUsersOptions{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page {
			names = append(names, u.Username)
		}
		if next == "" {
			break
		}
		token = next
	}
	if strings.Join(names, ",") != "Alice,bob,carol,dave,erin,root" {
		t.Fatalf("paged list: %v", names)
	}
	found, _, err := e.svc.ListUsers(ctx, ListUsersOptions{Query: "ALI"})
	if err != nil || len(found) != 1 || found[0].ID != alice.ID {
		t.Fatalf("query: %v %v", found, err)
	}
	if found, _, err := e.svc.ListUsers(ctx, ListUsersOptions{Query: "%_'"}); err != nil || len(found) != 0 {
		t.Fatalf("LIKE metacharacters matched: %v %v", found, err)
	}
	_, _, err = e.svc.ListUsers(ctx, ListUsersOptions{PageToken: "!!"})
	wantKind(t, err, apperr.KindInvalid)

	// Update: email, display name, password (must change), admin.
	s, err := e.svc.Login(t.Context(), "alice", "twelve chars", clientA)
	if err != nil {
		t.Fatal(err)
	}
	email, display, password, admin := "alice@new.example", "Alice B", "brand new password", true
	up, err := e.svc.UpdateUser(ctx, alice.ID, UserUpdate{Email: &email, DisplayName: &display, Password: &password, Admin: &admin})
	if err != nil {
		t.Fatal(err)
	}
	if up.Email != email || up.DisplayName != display || !up.MustChangePassword {
		t.Fatalf("update: %+v", up)
	}
	if ok, _ := e.roles.IsAdmin(ctx, alice.ID); !ok {
		t.Fatal("admin not granted")
	}
	if _, err := e.svc.Authenticate(t.Context(), request("", s.Secret)); kindOf(err) != apperr.KindUnauthenticated {
		t.Fatalf("a password reset left the session alive: %v", err)
	}
	taken := "Bob@Example.com"
	_, err = e.svc.UpdateUser(ctx, alice.ID, UserUpdate{Email: &taken})
	wantKind(t, err, apperr.KindConflict)
	no := false
	_, err = e.svc.UpdateUser(ctx, root.ID, UserUpdate{Admin: &no})
	wantKind(t, err, apperr.KindFailedPrecondition)
	_, err = e.svc.UpdateUser(ctx, alice.ID, UserUpdate{Active: &no})
	wantKind(t, err, apperr.KindInvalid)

	var audited int
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_events WHERE resource = $1`, userResource(alice.ID)).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("%d audit events for alice (create, update), want 2: %v", audited, err)
	}
}

func TestProfileAndPasswordChange(t *testing.T) {
	e := newEnv(t)
	e.mustCreate(t, context.Background(), "pat", "first password", false)
	s1, err := e.svc.Login(t.Context(), "pat", "first password", clientA)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := e.svc.Login(t.Context(), "pat@example.com", "first password", clientA)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	p, err := e.svc.Authenticate(ctx, request("", s1.Secret))
	if err != nil {
		t.Fatal(err)
	}
	ctx = withPrincipal(ctx, p)
	name := "Pat"
	got, err := e.svc.UpdateProfile(ctx, ProfileUpdate{DisplayName: &name})
	if err != nil || got.DisplayName != "Pat" {
		t.Fatalf("profile: %+v %v", got, err)
	}
	err = e.svc.ChangePassword(ctx, "wrong password", "second password", s1.Secret, clientA)
	wantKind(t, err, apperr.KindInvalid)
	if err := e.svc.ChangePassword(ctx, "first password", "second password", s1.Secret, clientA); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(t.Context(), request("", s1.Secret)); err != nil {
		t.Fatalf("the caller's own session ended: %v", err)
	}
	if _, err := e.svc.Authenticate(t.Context(), request("", s2.Secret)); kindOf(err) != apperr.KindUnauthenticated {
		t.Fatalf("another session survived a password change: %v", err)
	}
	if _, err := e.svc.Login(t.Context(), "pat", "second password", clientA); err != nil {
		t.Fatal(err)
	}
	// That a token may not change its account is the API's rule
	// (TestAccountRules).
}
