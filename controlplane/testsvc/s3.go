package testsvc

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/hearth-dev/hearth/controlplane/internal/localsvc"
)

// S3Region is the region the shared S3 server answers for (versitygw's
// default).
const S3Region = "us-east-1"

// S3Config is how a test reaches its bucket on the shared S3 server: plain
// HTTP on a loopback port, path-style addressing.
type S3Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string // fresh for the test
	Region    string
}

type s3State struct {
	once      sync.Once
	server    *localsvc.S3
	transport *http.Transport // of client; its idle connections closed at stop
	client    *minio.Client   // creates the buckets
	err       error
}

// S3 returns the shared S3 server (versitygw) with a fresh bucket, removed
// with its objects when the test ends.
func S3(t testing.TB) S3Config {
	t.Helper()
	check(t)
	s := &env.s3
	s.once.Do(func() {
		root, err := rootDir()
		if err != nil {
			s.err = err
			return
		}
		ctx, cancel := startCtx()
		defer cancel()
		s.server, s.err = localsvc.StartS3(ctx, localsvc.S3Options{
			Dir:    filepath.Join(root, "s3"),
			Logger: serviceLogger(),
		})
		if s.err != nil {
			return
		}
		s.transport = &http.Transport{}
		s.client, s.err = minio.New(s.server.Endpoint(), &minio.Options{
			Creds:     credentials.NewStaticV4(s.server.AccessKey(), s.server.SecretKey(), ""),
			Region:    S3Region,
			Transport: s.transport,
		})
		if s.err != nil {
			s.err = fmt.Errorf("testsvc: S3 client: %w", s.err)
		}
	})
	if s.err != nil {
		t.Fatalf("testsvc: S3: %v", s.err)
	}

	bucket := uniqueName("t-")
	ctx, cancel := startCtx()
	defer cancel()
	if err := s.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: S3Region}); err != nil {
		t.Fatalf("testsvc: creating bucket: %v", err)
	}
	t.Cleanup(func() {
		// The POSIX backend keeps a bucket as one directory: removing it
		// removes every object, version and upload without listing them
		// through the API.
		if err := os.RemoveAll(filepath.Join(s.server.DataDir(), bucket)); err != nil {
			t.Errorf("testsvc: removing bucket %s: %v", bucket, err)
		}
	})
	return S3Config{
		Endpoint:  s.server.Endpoint(),
		AccessKey: s.server.AccessKey(),
		SecretKey: s.server.SecretKey(),
		Bucket:    bucket,
		Region:    S3Region,
	}
}

func (s *s3State) stop(ctx context.Context) error {
	if s.transport != nil {
		s.transport.CloseIdleConnections()
	}
	if s.server == nil {
		return nil
	}
	return s.server.Stop(ctx)
}
