package objectstore_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func TestOpenCreatesBucketAndStoresObjects(t *testing.T) {
	s3 := testsvc.S3(t)
	ctx := t.Context()
	cfg := objectstore.Config{
		Endpoint: "http://" + s3.Endpoint, Region: "us-east-1", Bucket: s3.Bucket + "-new",
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
	}
	st, err := objectstore.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("bucket was not created: %v", err)
	}
	// A second replica opening the same bucket is fine.
	if _, err := objectstore.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "logs/a.txt", strings.NewReader("hello"), 5, "text/plain"); err != nil {
		t.Fatal(err)
	}
	r, err := st.Get(ctx, "logs/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	if _, err := st.Get(ctx, "logs/missing"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	if err := st.Delete(ctx, "logs/a.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "logs/a.txt"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("deleted object: %v", err)
	}
}

func TestOpenWithWrongCredentialsFails(t *testing.T) {
	s3 := testsvc.S3(t)
	_, err := objectstore.Open(t.Context(), objectstore.Config{
		Endpoint: "http://" + s3.Endpoint, Region: "us-east-1", Bucket: s3.Bucket,
		AccessKey: s3.AccessKey, SecretKey: "wrong-secret",
	})
	if err == nil || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("got %v", err)
	}
}
