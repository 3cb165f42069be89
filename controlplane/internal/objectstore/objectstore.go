// Package objectstore owns the connection to the S3 bucket that holds
// finished job logs, artifacts and telemetry Parquet files. Any S3 server
// works (versitygw in dev and tests, MinIO, AWS). Features declare the small
// interface they need and are handed the *Store.
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// ErrNotFound is returned for a missing object.
var ErrNotFound = errors.New("object not found")

// Config locates the bucket. Endpoint is an http:// or https:// URL.
type Config struct {
	Endpoint  string
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
}

// Store is one bucket.
type Store struct {
	client *minio.Client
	bucket string
}

// Open connects and creates the bucket if it does not exist yet.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" {
		return nil, errors.New("S3 endpoint is not a valid URL")
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client: %w", err)
	}
	s := &Store{client: client, bucket: cfg.Bucket}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("S3 unreachable at %s: %w", u.Host, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil && !isAlreadyOwned(err) {
			return nil, fmt.Errorf("S3 bucket %q: %w", cfg.Bucket, err)
		}
	}
	return s, nil
}

// isAlreadyOwned tolerates another replica creating the bucket first.
func isAlreadyOwned(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists"
}

// Ping checks the bucket answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err == nil && !ok {
		err = fmt.Errorf("bucket %q is gone", s.bucket)
	}
	return err
}

// Put stores size bytes from r at key (size -1: unknown, streamed in parts).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentType})
	return err
}

// Get opens the object at key for reading, or returns ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if _, err := s.Stat(ctx, key); err != nil {
		return nil, err
	}
	return s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
}

// Stat returns the object's size, or ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return 0, ErrNotFound
		}
		return 0, err
	}
	return info.Size, nil
}

// Delete removes the object at key; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// ReadAt reads len(p) bytes of the object at key from offset off with one
// ranged GET (io.ReaderAt's contract: fewer bytes only with an error).
// Parquet readers use it to fetch a footer or a column chunk and nothing
// else.
func (s *Store) ReadAt(ctx context.Context, key string, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+int64(len(p))-1); err != nil {
		return 0, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return 0, err
	}
	defer func() { _ = obj.Close() }()
	n, err := io.ReadFull(obj, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		err = ErrNotFound
	}
	return n, err
}
