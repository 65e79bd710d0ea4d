package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/keyhold/keyhold/client"
)

// config is the file config.json in the user's configuration directory.
// It holds login tokens, so it is written with mode 0600 in a 0700
// directory; new token values minted by commands never go there.
type config struct {
	Current  string              `json:"current_profile,omitempty"`
	Profiles map[string]*profile `json:"profiles"`
}

// profile is one server and the token to use there.
type profile struct {
	Server string `json:"server"`
	Token  string `json:"token,omitempty"`
	// Principal describes the token's owner, as whoami answered at login.
	PrincipalType string `json:"principal_type,omitempty"`
	PrincipalName string `json:"principal_name,omitempty"`
}

const defaultProfile = "default"

// configDir is $KEYHOLD_CONFIG_DIR, or keyhold under os.UserConfigDir.
func (a *app) configDir() (string, error) {
	if d := a.Getenv("KEYHOLD_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config directory: %w", err)
	}
	return filepath.Join(d, "keyhold"), nil
}

func (a *app) loadConfig() (*config, string, error) {
	dir, err := a.configDir()
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "config.json")
	c := &config{Profiles: map[string]*profile{}}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, path, nil
	} else if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, "", fmt.Errorf("read config %s: %w", path, err)
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*profile{}
	}
	return c, path, nil
}

// save writes the config atomically: a 0600 temporary file renamed over
// the old one, so no reader ever sees a partial or wider-open file.
func (c *config) save(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	f, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	// Once renamed the temporary file is gone and Remove fails, as it
	// should; before that, it is a leftover to clear if it can be.
	defer func() { _ = os.Remove(f.Name()) }()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("write config: %w", errors.Join(err, f.Close()))
	}
	if _, err := f.Write(append(raw, '\n')); err != nil {
		return fmt.Errorf("write config: %w", errors.Join(err, f.Close()))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// profileName is --profile, else $KEYHOLD_PROFILE, else the current one.
func (a *app) profileName(c *config) string {
	switch {
	case a.profile != "":
		return a.profile
	case a.Getenv("KEYHOLD_PROFILE") != "":
		return a.Getenv("KEYHOLD_PROFILE")
	case c != nil && c.Current != "":
		return c.Current
	}
	return defaultProfile
}

// target is where commands go and with which token, and where each came
// from, for auth status.
type target struct {
	Profile, Server, Token string
	ServerFrom, TokenFrom  string
}

// target resolves the server and token: KEYHOLD_SERVER and KEYHOLD_TOKEN
// override the profile's.
func (a *app) target() (*target, error) {
	c, _, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	t := &target{Profile: a.profileName(c)}
	if p := c.Profiles[t.Profile]; p != nil {
		t.Server, t.Token = p.Server, p.Token
		t.ServerFrom, t.TokenFrom = "profile "+t.Profile, "profile "+t.Profile
	} else if a.profile != "" {
		return nil, notFoundf("profile %q not found; run \"keyhold login --profile %s --server URL\"", a.profile, a.profile)
	}
	if s := a.Getenv("KEYHOLD_SERVER"); s != "" {
		t.Server, t.ServerFrom = s, "KEYHOLD_SERVER"
	}
	if s := a.Getenv("KEYHOLD_TOKEN"); s != "" {
		t.Token, t.TokenFrom = s, "KEYHOLD_TOKEN"
	}
	if t.Server == "" {
		return nil, errNoServer
	}
	return t, nil
}

// client returns the API client for the resolved target.
func (a *app) client() (*client.Client, error) {
	if a.c != nil {
		return a.c, nil
	}
	t, err := a.target()
	if err != nil {
		return nil, err
	}
	if t.Token == "" {
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("no token for %s; run \"keyhold login --server %s\"", t.Server, t.Server)}
	}
	a.c = client.New(t.Server, t.Token)
	a.c.HTTP = a.HTTP
	a.c.UserAgent = "keyhold-cli"
	return a.c, nil
}
