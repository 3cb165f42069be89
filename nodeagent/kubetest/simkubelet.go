package kubetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// The kubelet API paths the API server proxies pods/log, pods/exec and
// pods/attach to. exec and attach also come with the pod's UID before the
// container; GET and POST both upgrade (WebSocket, SPDY).
func (n *SimNode) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", n.serveLogs)
	for _, sub := range []string{"exec", "attach"} {
		h := n.serveStream(sub == "exec")
		mux.HandleFunc("/"+sub+"/{namespace}/{pod}/{container}", h)
		mux.HandleFunc("/"+sub+"/{namespace}/{pod}/{uid}/{container}", h)
	}
	return mux
}

// serveKubelet starts the node's HTTPS server on 127.0.0.1 and sets Port.
func (n *SimNode) serveKubelet() (*http.Server, error) {
	cert, err := selfSignedCert(n.Name)
	if err != nil {
		return nil, err
	}
	l, err := (&net.ListenConfig{}).Listen(n.ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	n.Port = l.Addr().(*net.TCPAddr).Port
	srv := &http.Server{
		Handler:           n.routes(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // aborted streams are the point of BreakLogStreams
		BaseContext:       func(net.Listener) context.Context { return n.ctx },
	}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	return srv, nil
}

// selfSignedCert is the kubelet API's certificate for 127.0.0.1: the API
// server started by StartControlPlane has no --kubelet-certificate-authority
// and so does not verify it.
func selfSignedCert(name string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// container finds the running pod's container a request names, or
// answers with the kubelet's error.
func (n *SimNode) container(w http.ResponseWriter, r *http.Request) (*simPod, *simCtr, bool) {
	ns, name, cname := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	n.mu.Lock()
	p := n.pods[ns+"/"+name]
	n.mu.Unlock()
	if p == nil {
		http.Error(w, fmt.Sprintf("pod %s/%s does not exist on node %s", ns, name, n.Name), http.StatusNotFound)
		return nil, nil, false
	}
	c := p.containers[cname]
	if c == nil {
		http.Error(w, fmt.Sprintf("container %q not found in pod %q", cname, name), http.StatusNotFound)
		return nil, nil, false
	}
	return p, c, true
}

// serveLogs is GET /containerLogs/{namespace}/{pod}/{container}.
func (n *SimNode) serveLogs(w http.ResponseWriter, r *http.Request) {
	p, c, ok := n.container(w, r)
	if !ok {
		return
	}
	if reason := c.waitingReason(); reason != "" {
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: %s", c.spec.Name, p.pod.Name, reason), http.StatusBadRequest)
		return
	}
	o, err := parseLogOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s := &logStream{broken: make(chan struct{})}
	n.logRequests.Add(1)
	n.mu.Lock()
	n.streams[s] = struct{}{}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.streams, s)
		n.mu.Unlock()
	}()
	var out io.Writer = w
	if cut := n.opts.LogCut; cut != nil {
		if after := cut(p.pod, c.spec.Name, o.follow); after > 0 {
			out = &cutWriter{w: w, left: after}
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	if err := c.log.copyTo(r.Context(), out, o, s); errors.Is(err, errLogBroken) {
		panic(http.ErrAbortHandler) // no clean end of the response: the connection drops
	}
}

func parseLogOptions(r *http.Request) (logOptions, error) {
	q := r.URL.Query()
	o := logOptions{follow: q.Get("follow") == "true", timestamps: q.Get("timestamps") == "true", tail: -1, limit: -1}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return o, fmt.Errorf("sinceTime %q: %w", v, err)
		}
		o.since = t
	}
	if v := q.Get("sinceSeconds"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return o, fmt.Errorf("sinceSeconds %q: %w", v, err)
		}
		o.since = time.Now().Add(-time.Duration(s) * time.Second)
	}
	for name, dst := range map[string]*int64{"tailLines": &o.tail, "limitBytes": &o.limit} {
		if v := q.Get(name); v != "" {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil || x < 0 {
				return o, fmt.Errorf("%s %q is not a count", name, v)
			}
			*dst = x
		}
	}
	return o, nil
}

// serveStream is exec (or attach) over SPDY or WebSocket (up to v4: the
// API server translates v5 WebSocket clients to SPDY, see register).
func (n *SimNode) serveStream(exec bool) http.HandlerFunc {
	const idle = 10 * time.Minute
	protocols := remotecommand.SupportedStreamingProtocols
	return func(w http.ResponseWriter, r *http.Request) {
		p, c, ok := n.container(w, r)
		if !ok {
			return
		}
		opts, err := remotecommand.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !c.isRunning() {
			http.Error(w, fmt.Sprintf("container %s is not running", c.spec.Name), http.StatusBadRequest)
			return
		}
		uid := string(p.pod.UID)
		if exec {
			cmd := r.URL.Query()["command"]
			remotecommand.ServeExec(w, r, execFunc(c.exec), p.pod.Name, uid, c.spec.Name, cmd, opts, idle, remotecommand.DefaultStreamCreationTimeout, protocols)
			return
		}
		remotecommand.ServeAttach(w, r, attachFunc(c.attach), p.pod.Name, uid, c.spec.Name, opts, idle, remotecommand.DefaultStreamCreationTimeout, protocols)
	}
}

// execFunc and attachFunc adapt a container's methods to the interfaces
// the remotecommand server calls.
type execFunc func(ctx context.Context, cmd []string, in io.Reader, out, errw io.Writer) error

func (f execFunc) ExecInContainer(ctx context.Context, _, _, _ string, cmd []string, in io.Reader, out, errw io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize, _ time.Duration) error {
	return f(ctx, cmd, in, writerOrNil(out), writerOrNil(errw))
}

type attachFunc func(ctx context.Context, in io.Reader, out, errw io.Writer) error

func (f attachFunc) AttachContainer(ctx context.Context, _, _, _ string, in io.Reader, out, errw io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize) error {
	return f(ctx, in, writerOrNil(out), writerOrNil(errw))
}

// writerOrNil keeps a stream that was not requested a nil io.Writer
// (rather than an interface holding a nil pointer).
func writerOrNil(w io.WriteCloser) io.Writer {
	if w == nil {
		return nil
	}
	return w
}
