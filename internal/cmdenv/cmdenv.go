// Package cmdenv holds what keyhold's two commands, keyhold and
// keyhold-bench, share about their environment: the default database,
// flags from KEYHOLD_<FLAG> variables and from a config file, and where
// each flag's value came from.
package cmdenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v4"
)

// DefaultDB is the database both commands use without --db.
const DefaultDB = "sqlite:data/keyhold.db"

// ConfigFlag is the flag that names a command's config file; a command
// without it reads none.
const ConfigFlag = "config"

// Where a flag's value came from, in order of precedence.
const (
	SourceFlag    = "flag"
	SourceEnv     = "env"
	SourceFile    = "file"
	SourceDefault = "default"
)

// sourceKey is the pflag annotation that records a value's source when it
// was not the command line's.
const sourceKey = "keyhold/source"

// notInFile are flags a config file cannot set: they are about the file,
// or about one run.
var notInFile = []string{ConfigFlag, "print-config", "help"}

// EnvName is the environment variable of a flag: KEYHOLD_ and the name in
// capitals, with dashes as underscores.
func EnvName(flag string) string {
	return "KEYHOLD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// FlagsFromEnv lets every flag of cmd be set as KEYHOLD_<FLAG>, with
// dashes as underscores; a flag given on the command line wins.
func FlagsFromEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		name := EnvName(f.Name)
		if v := getenv(name); v != "" && !f.Changed && err == nil {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s: %w", name, serr)
				return
			}
			setSource(f, SourceEnv)
		}
	})
	return err
}

// Resolve sets cmd's flags that the command line left alone from the
// environment (FlagsFromEnv) and then, when cmd has a --config flag that
// the command line or KEYHOLD_CONFIG set, from that file: flag, then
// environment, then file, then default.
func Resolve(cmd *cobra.Command, getenv func(string) string) error {
	if err := FlagsFromEnv(cmd, getenv); err != nil {
		return err
	}
	cf := cmd.Flags().Lookup(ConfigFlag)
	if cf == nil || cf.Value.String() == "" {
		return nil
	}
	return FlagsFromFile(cmd, cf.Value.String())
}

// FlagsFromFile sets cmd's flags that neither the command line nor the
// environment set from a YAML file whose keys are flag names:
//
//	listen: 0.0.0.0:8443
//	tls-cert: /etc/keyhold/tls.crt
//	trusted-proxies: [10.0.0.0/8, 192.168.1.7]
//
// A value is a scalar, or a list for a comma-separated flag. A key that is
// not a flag of cmd is an error that names it, so a misspelt setting
// does not pass unnoticed.
func FlagsFromFile(cmd *cobra.Command, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file sets nothing
		}
		return fmt.Errorf("--config %s: %w", path, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("--config %s: want a mapping of flag names to values", path)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		where := fmt.Sprintf("--config %s: line %d", path, k.Line)
		f := cmd.Flags().Lookup(name)
		if f == nil || slices.Contains(notInFile, name) {
			return fmt.Errorf("%s: unknown setting %q (the keys are the names of the flags of %q)", where, name, cmd.CommandPath())
		}
		if seen[name] {
			return fmt.Errorf("%s: %q is set twice", where, name)
		}
		seen[name] = true
		value, err := scalar(v)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, name, err)
		}
		if f.Changed || source(f) != "" {
			continue // the command line or the environment won
		}
		if err := f.Value.Set(value); err != nil {
			return fmt.Errorf("%s: %s: %w", where, name, err)
		}
		setSource(f, SourceFile)
	}
	return nil
}

// scalar is a node's value as a flag reads it.
func scalar(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return "", errors.New("a list may hold only plain values")
			}
			parts = append(parts, c.Value)
		}
		return strings.Join(parts, ","), nil
	}
	return "", errors.New("want a value or a list of values")
}

func setSource(f *pflag.Flag, s string) {
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[sourceKey] = []string{s}
}

func source(f *pflag.Flag) string {
	if s := f.Annotations[sourceKey]; len(s) == 1 {
		return s[0]
	}
	return ""
}

// Setting is one flag's effective value and where it came from.
type Setting struct {
	Name, Value, Source string
}

// Settings are cmd's flags, sorted by name, with their effective values
// and sources. Values are as given except that a password in a URL is
// masked as ****; settings that name secret files show the path only, as
// the flags hold nothing else.
func Settings(cmd *cobra.Command) []Setting {
	var out []Setting
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != ConfigFlag && slices.Contains(notInFile, f.Name) {
			return // about this run, not a setting
		}
		src := source(f)
		switch {
		case f.Changed:
			src = SourceFlag
		case src == "":
			src = SourceDefault
		}
		out = append(out, Setting{Name: f.Name, Value: MaskURL(f.Value.String()), Source: src})
	})
	slices.SortFunc(out, func(a, b Setting) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// MaskURL replaces the password of a URL, in its user information or in
// a password query parameter (which pgx also reads), by ****. Anything
// that is not a URL with a password is returned as is.
func MaskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		// Not a URL Go reads, but perhaps one with a password all the same.
		if i, j := strings.Index(s, "://"), strings.LastIndex(s, "@"); i >= 0 && j > i {
			return s[:i+3] + "****" + s[j:]
		}
		return s
	}
	if u.Scheme == "" || u.Host == "" && u.User == nil {
		return s
	}
	user := ""
	if _, ok := u.User.Password(); ok {
		// url.UserPassword would escape the asterisks.
		user = url.User(u.User.Username()).String() + ":****@"
		u.User = nil
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			if key, err := url.QueryUnescape(k); err == nil && strings.EqualFold(key, "password") {
				parts[i] = k + "=****"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	out := u.String()
	if user != "" {
		out = u.Scheme + "://" + user + strings.TrimPrefix(out, u.Scheme+"://")
	}
	return out
}
