// Package cmdenv holds what keyhold's two commands, keyhold and
// keyhold-bench, share about their environment.
package cmdenv

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// DefaultDB is the database both commands use without --db.
const DefaultDB = "sqlite:data/keyhold.db"

// FlagsFromEnv lets every flag of cmd be set as KEYHOLD_<FLAG>, with
// dashes as underscores; a flag given on the command line wins.
func FlagsFromEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		name := "KEYHOLD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && !f.Changed && err == nil {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s: %w", name, serr)
			}
		}
	})
	return err
}
