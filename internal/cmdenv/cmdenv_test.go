package cmdenv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/keyhold/keyhold/internal/cmdenv"
)

// command is a command with four flags a..d and --config, run with args
// and an environment; it returns the settings Resolve left.
func command(t *testing.T, args []string, env map[string]string) (map[string]cmdenv.Setting, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "serve", RunE: func(*cobra.Command, []string) error { return nil },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return cmdenv.Resolve(cmd, func(k string) string { return env[k] })
		}}
	cmd.Flags().String("config", "", "")
	cmd.Flags().String("alpha", "default-a", "")
	cmd.Flags().String("beta", "default-b", "")
	cmd.Flags().Duration("gamma", 0, "")
	cmd.Flags().String("delta", "default-d", "")
	cmd.Flags().String("list", "", "")
	cmd.Flags().Bool("print-config", false, "")
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	out := map[string]cmdenv.Setting{}
	for _, s := range cmdenv.Settings(cmd) {
		out[s.Name] = s
	}
	return out, nil
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keyhold.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Flag, then environment, then file, then default: for one key set in
// all of them, and for keys set in fewer.
func TestPrecedence(t *testing.T) {
	file := writeFile(t, "# keyhold\nalpha: file-a\nbeta: file-b\ngamma: 90s\nlist: [10.0.0.0/8, 192.168.1.7]\n")
	env := map[string]string{"KEYHOLD_ALPHA": "env-a", "KEYHOLD_BETA": "env-b", "KEYHOLD_CONFIG": file}
	got, err := command(t, []string{"--alpha", "flag-a"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]cmdenv.Setting{
		"alpha":  {"alpha", "flag-a", cmdenv.SourceFlag},       // in all four
		"beta":   {"beta", "env-b", cmdenv.SourceEnv},          // in env, file and default
		"gamma":  {"gamma", "1m30s", cmdenv.SourceFile},        // in file and default
		"delta":  {"delta", "default-d", cmdenv.SourceDefault}, // default only
		"list":   {"list", "10.0.0.0/8,192.168.1.7", cmdenv.SourceFile},
		"config": {"config", file, cmdenv.SourceEnv}, // which file was read
	}
	if _, ok := got["print-config"]; ok {
		t.Error("--print-config is listed among the settings")
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %+v, want %+v", name, got[name], w)
		}
	}
	// The file named by a flag rather than the environment works the same.
	got, err = command(t, []string{"--config", file}, nil)
	if err != nil || got["beta"] != (cmdenv.Setting{"beta", "file-b", cmdenv.SourceFile}) {
		t.Errorf("--config on the command line: %+v, %v", got["beta"], err)
	}
}

func TestFileErrors(t *testing.T) {
	for body, want := range map[string]string{
		"alpha: a\nbtea: b\n":    `line 2: unknown setting "btea"`,
		"config: other.yaml\n":   `unknown setting "config"`,
		"print-config: true\n":   `unknown setting "print-config"`,
		"alpha: a\nalpha: b\n":   `"alpha" is set twice`,
		"gamma: soon\n":          `gamma: time: invalid duration`,
		"alpha: {nested: 1}\n":   `alpha: want a value or a list of values`,
		"- alpha\n":              `want a mapping`,
		"alpha: [a, [b]]\n":      `a list may hold only plain values`,
		"alpha: 'unterminated\n": `keyhold.yaml`,
	} {
		_, err := command(t, []string{"--config", writeFile(t, body)}, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", body, err, want)
		}
	}
	if _, err := command(t, []string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, nil); err == nil {
		t.Error("a missing config file is not an error")
	}
	if got, err := command(t, []string{"--config", writeFile(t, "# nothing yet\n")}, nil); err != nil || got["alpha"].Source != cmdenv.SourceDefault {
		t.Errorf("an empty file: %+v, %v", got["alpha"], err)
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://keyhold:s3cret@db:5432/keyhold?sslmode=verify-full": "postgres://keyhold:****@db:5432/keyhold?sslmode=verify-full",
		"postgres://keyhold@db/keyhold?password=s3cret&sslmode=require": "postgres://keyhold@db/keyhold?password=****&sslmode=require",
		"postgres://keyhold@db/keyhold":                                 "postgres://keyhold@db/keyhold",
		"postgres://k:p%zz@db/keyhold":                                  "postgres://****@db/keyhold",
		"sqlite:data/keyhold.db":                                        "sqlite:data/keyhold.db",
		"127.0.0.1:8080":                                                "127.0.0.1:8080",
		"":                                                              "",
	} {
		if got := cmdenv.MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}
