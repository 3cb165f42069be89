package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"connectrpc.com/connect"
)

// Credentials are what `hearth login` stores: the server and an API token.
type Credentials struct {
	Server  string `json:"server"`
	Token   string `json:"token"`
	TokenID string `json:"token_id"`
	User    string `json:"user"`
}

// credentialsPath is <user config dir>/hearth/credentials.json
// (~/.config/hearth on Linux; HEARTH_CONFIG_DIR overrides the directory).
func credentialsPath() (string, error) {
	if dir, ok := lookupEnv("HEARTH_CONFIG_DIR"); ok && dir != "" {
		return filepath.Join(dir, "credentials.json"), nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory: %w", err)
	}
	return filepath.Join(base, "hearth", "credentials.json"), nil
}

func loadCredentials() (Credentials, error) {
	var c Credentials
	path, err := credentialsPath()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(path) //nolint:gosec // G304: the user's own credentials file.
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s is damaged: run 'hearth login' again", path)
	}
	return c, nil
}

// saveCredentials writes the file with mode 0600 (the token is a secret),
// atomically, so a crash never leaves half a file.
func saveCredentials(c Credentials) error {
	path, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename.
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func removeCredentials() error {
	path, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// session resolves the server and token for API commands: --server and
// HEARTH_SERVER / HEARTH_TOKEN override the stored credentials.
type session struct {
	server string
	token  string
	http   *http.Client
}

func newSession(serverFlag string) (*session, error) {
	c, err := loadCredentials()
	if err != nil {
		return nil, err
	}
	s := &session{server: c.Server, token: c.Token, http: newHTTPClient()}
	if v, ok := lookupEnv("HEARTH_SERVER"); ok && v != "" {
		s.server = v
	}
	if serverFlag != "" {
		s.server = serverFlag
	}
	if v, ok := lookupEnv("HEARTH_TOKEN"); ok && v != "" {
		s.token = v
	}
	if s.server == "" {
		return nil, errors.New("no server: run 'hearth login --server URL' or set HEARTH_SERVER")
	}
	if s.server, err = parseServerURL(s.server); err != nil {
		return nil, err
	}
	return s, nil
}

// options authenticate every call with the token.
func (s *session) options() []connect.ClientOption {
	if s.token == "" {
		return nil
	}
	return []connect.ClientOption{connect.WithInterceptors(headerSetter{"Authorization": "Bearer " + s.token})}
}
