package localsvc

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func s3Client(t *testing.T, s *S3) *minio.Client {
	t.Helper()
	// Its own transport, closed at the end, so that goleak sees no idle
	// keep-alive connection.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := minio.New(s.Endpoint(), &minio.Options{
		Creds:     credentials.NewStaticV4(s.AccessKey(), s.SecretKey(), ""),
		Transport: tr,
		Region:    "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestS3StartsServesAndKeepsBucketsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	log := testLogger(t)
	ctx := t.Context()

	began := time.Now()
	s, err := StartS3(startCtx(t), S3Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("start: %v", time.Since(began))
	c := s3Client(t, s)
	if err := c.MakeBucket(ctx, "artifacts", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	body := []byte("hello, hearth")
	if _, err := c.PutObject(ctx, "artifacts", "job/1/log.txt", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	getObject(t, c, "artifacts", "job/1/log.txt", body)
	if _, err := os.Stat(filepath.Join(dir, "data", "artifacts", "job", "1", "log.txt")); err != nil {
		t.Errorf("object is not a plain file under Dir: %v", err)
	}
	firstKey := s.AccessKey()

	sctx, cancel := stopCtx()
	defer cancel()
	if err := s.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	assertGone(t, s.proc)

	s, err = StartS3(startCtx(t), S3Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := stopCtx()
		defer cancel()
		if err := s.Stop(sctx); err != nil {
			t.Error(err)
		}
		assertGone(t, s.proc)
	}()
	if s.AccessKey() == firstKey {
		t.Error("the keys did not change between starts")
	}
	// New keys, same files: the old bucket and object are served again.
	getObject(t, s3Client(t, s), "artifacts", "job/1/log.txt", body)
}

func getObject(t *testing.T, c *minio.Client, bucket, key string, want []byte) {
	t.Helper()
	obj, err := c.GetObject(t.Context(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", bucket, key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s/%s = %q, want %q", bucket, key, got, want)
	}
}

func TestS3Missing(t *testing.T) {
	_, err := StartS3(startCtx(t), S3Options{Dir: t.TempDir(), Logger: testLogger(t), env: noBinaries(t)})
	want := "versitygw not found on PATH or in .tools/bin of a parent directory: install it with 'make tools' or 'go install github.com/versity/versitygw/cmd/versitygw@v1.8.0'"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestFindVersitygwInTheToolDirOfAParent(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, ".tools", "bin", "versitygw")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "controlplane", "internal", "x")
	empty := t.TempDir()

	for name, env := range map[string]*environment{
		"working directory": {path: &empty, cwd: deep, exe: filepath.Join(empty, "hearth")},
		"executable":        {path: &empty, cwd: empty, exe: filepath.Join(deep, "hearth")},
	} {
		got, err := findVersitygw("", env)
		if err != nil || got != bin {
			t.Errorf("%s: findVersitygw = %q, %v; want %s", name, got, err, bin)
		}
	}
	// PATH comes before the tool directory; an explicit path before both.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "versitygw"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := findVersitygw("", &environment{path: &other, cwd: deep}); got != filepath.Join(other, "versitygw") {
		t.Errorf("PATH not preferred: %s", got)
	}
	if got, _ := findVersitygw(bin, &environment{path: &other, cwd: deep}); got != bin {
		t.Errorf("explicit path not preferred: %s", got)
	}
}
