package kubetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	_ "embed" // the pause program's source
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Images every node holds (tags other than latest: pods default to
// imagePullPolicy IfNotPresent and never reach for a registry).
const (
	// BusyboxImage is a static busybox with its applets linked in /bin.
	BusyboxImage = "busybox:test"
	// PauseImage is the nodes' sandbox image (testdata/pause).
	PauseImage = "hearth/pause:test"
)

//go:embed testdata/pause/main.go
var pauseSource []byte

// File is one file of a test image.
type File struct {
	// Path copies a file of this machine; else Data is the content; else
	// Link makes a symbolic link to its value.
	Path string
	Data []byte
	Link string
	// Mode holds the permission bits; 0 means 0o755.
	Mode fs.FileMode
}

// Image is a test image built on the spot: one layer of Files, no
// registry involved.
type Image struct {
	// Name as a pod spells it ("busybox:test", "hearth/helper:test"); it
	// is stored normalised the way the kubelet looks it up
	// (docker.io/library/busybox:test).
	Name  string
	Files map[string]File
	// Entrypoint and Cmd are the image's defaults (pods usually set
	// command); Env adds to a default PATH.
	Entrypoint, Cmd, Env []string
}

// BusyboxFiles is /bin/busybox from busybox-static with a link in /bin
// for each of its applets (sh, echo, cat, sleep, printf, ls, tar, ...),
// to build on: files := kubetest.BusyboxFiles(t); files["/hearth-agent"] = ...
func BusyboxFiles(t testing.TB) map[string]File {
	t.Helper()
	files, err := busyboxFiles()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func busyboxFiles() (map[string]File, error) {
	const bb = "/bin/busybox"
	out, err := exec.CommandContext(context.Background(), bb, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w: install a static busybox with apt-get install -y busybox-static", bb, err)
	}
	static, err := isStatic(bb)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", bb, err)
	}
	if !static {
		return nil, fmt.Errorf("%s is not a static binary: apt-get install -y busybox-static", bb)
	}
	files := map[string]File{"/bin/busybox": {Path: bb}}
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" && !strings.Contains(applet, "/") {
			files["/bin/"+applet] = File{Link: "busybox"}
		}
	}
	return files, nil
}

// isStatic reports whether an ELF binary has no program interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// ImportImage builds an image holding files and imports it into the
// node's containerd as name, e.g. the agent binary as "hearth/helper:test":
//
//	files := kubetest.BusyboxFiles(t)
//	files["/hearth-agent"] = kubetest.File{Path: agentBinary}
//	node.ImportImage(t, "hearth/helper:test", files)
func (n *Node) ImportImage(t testing.TB, name string, files map[string]File) {
	t.Helper()
	n.ImportImages(t, Image{Name: name, Files: files})
}

// ImportImages builds images and imports them into the node's containerd
// in one go.
func (n *Node) ImportImages(t testing.TB, images ...Image) {
	t.Helper()
	f, err := os.CreateTemp(n.Dir, "images-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	werr := WriteOCIArchive(f, images...)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		t.Fatalf("building images: %v", werr)
	}
	began := time.Now()
	if err := n.importArchive(f.Name()); err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d image(s) into node %s in %s", len(images), n.Name, time.Since(began).Round(time.Millisecond))
}

// importArchive imports an OCI archive into the node's CRI namespace.
func (n *Node) importArchive(archive string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ctr", "-n", "k8s.io", "--address", n.Socket, "images", "import", archive).CombinedOutput() //nolint:gosec // G204: ctr with the node's own paths
	if err != nil {
		return fmt.Errorf("ctr images import %s: %w: %s", filepath.Base(archive), err, out)
	}
	return nil
}

// NormalizeImageName spells an image name the way the kubelet and
// containerd look it up: busybox:test is docker.io/library/busybox:test,
// hearth/helper is docker.io/hearth/helper:latest.
func NormalizeImageName(name string) string {
	ref := name
	first, _, found := strings.Cut(ref, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		if !found {
			ref = "library/" + ref
		}
		ref = "docker.io/" + ref
	}
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if !strings.ContainsAny(last, ":@") {
		ref += ":latest"
	}
	return ref
}

// WriteOCIArchive writes images as one OCI image layout in a tar stream,
// the format `ctr images import` reads: one gzipped layer, a config and a
// manifest per image, named in index.json.
func WriteOCIArchive(w io.Writer, images ...Image) error {
	blobs := map[string][]byte{}
	var index ociIndex
	index.SchemaVersion, index.MediaType = 2, mediaIndex
	for _, img := range images {
		desc, err := buildImage(img, blobs)
		if err != nil {
			return fmt.Errorf("image %s: %w", img.Name, err)
		}
		index.Manifests = append(index.Manifests, desc)
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := add("index.json", indexJSON); err != nil {
		return err
	}
	digests := make([]string, 0, len(blobs))
	for d := range blobs {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	for _, d := range digests {
		if err := add("blobs/sha256/"+strings.TrimPrefix(d, "sha256:"), blobs[d]); err != nil {
			return err
		}
	}
	return tw.Close()
}

const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// epoch is every file's time, so the same files make the same digests.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *ociPlatform      `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type ociPlatform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Manifests     []ociDescriptor `json:"manifests"`
}

type ociManifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
}

type ociConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Env        []string `json:"Env,omitempty"`
		Entrypoint []string `json:"Entrypoint,omitempty"`
		Cmd        []string `json:"Cmd,omitempty"`
		WorkingDir string   `json:"WorkingDir,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// buildImage adds an image's blobs and returns its manifest's descriptor,
// named for containerd (io.containerd.image.name) and for OCI tools
// (org.opencontainers.image.ref.name, the tag).
func buildImage(img Image, blobs map[string][]byte) (ociDescriptor, error) {
	layer, diffID, err := buildLayer(img.Files)
	if err != nil {
		return ociDescriptor{}, err
	}
	var cfg ociConfig
	cfg.Architecture, cfg.OS = runtime.GOARCH, "linux"
	cfg.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, img.Env...)
	cfg.Config.Entrypoint, cfg.Config.Cmd, cfg.Config.WorkingDir = img.Entrypoint, img.Cmd, "/"
	if cfg.Config.Entrypoint == nil && cfg.Config.Cmd == nil {
		if _, ok := img.Files["/bin/sh"]; ok {
			cfg.Config.Cmd = []string{"/bin/sh"}
		}
	}
	cfg.RootFS.Type, cfg.RootFS.DiffIDs = "layers", []string{diffID}
	configJSON, err := json.Marshal(cfg)
	if err != nil {
		return ociDescriptor{}, err
	}
	m := ociManifest{
		SchemaVersion: 2, MediaType: mediaManifest,
		Config: addBlob(blobs, mediaConfig, configJSON),
		Layers: []ociDescriptor{addBlob(blobs, mediaLayer, layer)},
	}
	manifestJSON, err := json.Marshal(m)
	if err != nil {
		return ociDescriptor{}, err
	}
	desc := addBlob(blobs, mediaManifest, manifestJSON)
	full := NormalizeImageName(img.Name)
	tag := full[strings.LastIndexByte(full, ':')+1:]
	desc.Platform = &ociPlatform{Architecture: runtime.GOARCH, OS: "linux"}
	desc.Annotations = map[string]string{"io.containerd.image.name": full, "org.opencontainers.image.ref.name": tag}
	return desc, nil
}

func addBlob(blobs map[string][]byte, mediaType string, data []byte) ociDescriptor {
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])
	blobs[d] = data
	return ociDescriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

// buildLayer tars files (with their parent directories and /tmp) and
// gzips the result, returning the layer and the digest of the
// uncompressed tar (the config's diff id).
func buildLayer(files map[string]File) (layer []byte, diffID string, err error) {
	entries := map[string]File{"/tmp": {Mode: fs.ModeDir | fs.ModeSticky | 0o777}}
	for name, f := range files {
		name = path.Clean("/" + name)
		if name == "/" {
			return nil, "", errors.New("a file named /")
		}
		entries[name] = f
		for dir := path.Dir(name); dir != "/"; dir = path.Dir(dir) {
			if _, ok := entries[dir]; !ok {
				entries[dir] = File{Mode: fs.ModeDir | 0o755}
			}
		}
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names) // parents before children
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, "", err
	}
	h := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, h))
	for _, name := range names {
		if err := writeEntry(tw, strings.TrimPrefix(name, "/"), entries[name]); err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), digestOf(h), nil
}

func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

func writeEntry(tw *tar.Writer, name string, f File) error {
	perm := int64(f.Mode.Perm())
	if perm == 0 {
		perm = 0o755
	}
	if f.Mode&fs.ModeSticky != 0 {
		perm |= 0o1000
	}
	hdr := &tar.Header{Name: name, Mode: perm, ModTime: epoch, Format: tar.FormatPAX}
	switch {
	case f.Mode.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		return tw.WriteHeader(hdr)
	case f.Path != "":
		src, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		defer func() { _ = src.Close() }()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.Copy(tw, src)
		return err
	case f.Link != "":
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
		return tw.WriteHeader(hdr)
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(f.Data)
		return err
	}
}

// baseImages builds the archive of the images every node starts with
// (pause and busybox) once per test binary, in the namespace's private
// /run, and returns its path.
func baseImages() (string, error) {
	archive := filepath.Join(stateDir, "base-images.tar")
	if _, err := os.Stat(archive); err == nil {
		return archive, nil
	}
	work, err := os.MkdirTemp(stateDir, "build-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(work) }()
	pause, err := buildPause(work)
	if err != nil {
		return "", err
	}
	busybox, err := busyboxFiles()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(work, "images-*.tar")
	if err != nil {
		return "", err
	}
	werr := WriteOCIArchive(f,
		Image{Name: PauseImage, Files: map[string]File{"/pause": {Path: pause}}, Entrypoint: []string{"/pause"}},
		Image{Name: BusyboxImage, Files: busybox})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", werr
	}
	// Concurrent nodes may both build it: the rename makes one win whole.
	return archive, os.Rename(f.Name(), archive)
}

// buildPause compiles testdata/pause into a static binary in dir.
func buildPause(dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("the go command is not on PATH (go test puts it there)")
	}
	src := filepath.Join(dir, "pause-src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module pause\n\ngo 1.21\n"), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), pauseSource, 0o600); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "pause")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".") //nolint:gosec // G204: the go command on fixed arguments
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the pause binary: %w: %s", err, b)
	}
	return out, nil
}
