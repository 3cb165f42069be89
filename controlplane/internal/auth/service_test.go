package auth

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func TestEnsureInitialAdminCreatesOneAdminOnce(t *testing.T) {
	db := testsvc.NewDatabase(t)
	svc, err := New(Deps{DB: db, Logger: zerolog.Nop(), Password: fastParams})
	if err != nil {
		t.Fatal(err)
	}
	dirs := make([]string, 6)
	created := make([]bool, len(dirs))
	var wg sync.WaitGroup
	for i := range dirs {
		dirs[i] = t.TempDir()
		wg.Go(func() {
			var err error
			created[i], err = svc.EnsureInitialAdmin(t.Context(), dirs[i])
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
			if err := db.Pool.QueryRow(t.Context(), `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&hash); err != nil {
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
	if err := db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM users WHERE is_admin`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("%d admins: %v", users, err)
	}
	again, err := svc.EnsureInitialAdmin(t.Context(), t.TempDir())
	if err != nil || again {
		t.Fatalf("a later start created another admin: %v %v", again, err)
	}
}
